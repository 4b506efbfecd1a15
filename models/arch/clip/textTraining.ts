// One optimisation step's worth of graph for A1111's aesthetic gradients: the Hugging Face CLIPTextTransformer
// forward (token + position embeddings, causal pre-LN layers with q scaled by head_dim^-0.5, quick_gelu, final
// LayerNorm), the pooled state at each text's end token, `text_projection`, and the loss
// −mean_b(normalise(features_b) · target) — then its backward pass, written out op by op for exactly these ops
// (Linear, LayerNorm, softmax attention with a causal mask, QuickGELU, residual adds, the pooling, the
// normalisation). Every weight is a graph INPUT (the trainer updates them between steps) and every gradient an
// output; the token embedding comes in already gathered (`tok` [B, T, W]) and its gradient goes out per position,
// so only the rows a prompt uses are touched. Outputs `zn_skip_N` (final LayerNorm of hidden_states[-N]) give the
// tuned conditioning, `features` the projected features (the aesthetic text's, before any step).
import { ElemType, GraphBuilder } from '../../graph';

/** Names of one layer's trainable tensors, in HF's shapes ([out, in] Linears). */
export const LAYER_PARAMS = ['ln1_w', 'ln1_b', 'q_w', 'q_b', 'k_w', 'k_b', 'v_w', 'v_b', 'o_w', 'o_b', 'ln2_w', 'ln2_b', 'fc1_w', 'fc1_b', 'fc2_w', 'fc2_b'] as const;
export type LayerParam = (typeof LAYER_PARAMS)[number];

export interface TextTrainingShape {
  width: number;
  layers: number;
  heads: number;
  /** Sequence length (77). */
  tokens: number;
  /** MLP width (4 × width). */
  mlp: number;
  /** Projection output width. */
  embedDim: number;
}

/** Every trainable input except the gathered token rows: `pos`, `L{i}.{param}`, `lnf_w`, `lnf_b`. */
export function trainableNames(layers: number): string[] {
  const out = ['pos'];
  for (let i = 0; i < layers; i++) for (const n of LAYER_PARAMS) out.push(`L${i}.${n}`);
  out.push('lnf_w', 'lnf_b');
  return out;
}

export function paramShape(name: string, s: TextTrainingShape): number[] {
  if (name === 'pos') return [s.tokens, s.width];
  if (name === 'lnf_w' || name === 'lnf_b') return [s.width];
  const n = name.slice(name.indexOf('.') + 1) as LayerParam;
  if (n === 'fc1_w') return [s.mlp, s.width];
  if (n === 'fc1_b') return [s.mlp];
  if (n === 'fc2_w') return [s.width, s.mlp];
  return n.endsWith('_w') && !n.startsWith('ln') ? [s.width, s.width] : [s.width];
}

const EPS = 1e-5;

export function buildTextTraining(s: TextTrainingShape): GraphBuilder {
  const g = new GraphBuilder({ name: 'clip_text_training' });
  const { width: W, heads: H, tokens: T } = s;
  const d = W / H;
  const F = ElemType.FLOAT;
  const inp = (name: string): string => g.input(name, F, paramShape(name, s));
  const tok = g.input('tok', F, ['batch', T, W]);
  const onehot = g.input('eot_onehot', F, ['batch', T]);
  const target = g.input('target', F, [1, s.embedDim]);
  const proj = g.input('proj', F, [s.embedDim, W]);
  const P = new Map<string, string>();
  for (const n of trainableNames(s.layers)) P.set(n, inp(n));
  const w = (n: string): string => P.get(n)!;
  const grads = new Map<string, string>();
  const addGrad = (n: string, v: string): void => {
    const old = grads.get(n);
    grads.set(n, old === undefined ? v : g.add(old, v));
  };
  const c = (v: number): string => g.floatConst(v);
  const T2 = (x: string): string => g.transpose(x, [1, 0]);
  const rows = (x: string, n: number): string => g.reshape(x, [-1, n]);
  const sumRows = (x: string, n: number): string => g.op('ReduceSum', [rows(x, n), g.int64Const([0])], { keepdims: 0 });
  const lastMean = (x: string): string => g.reduceMean(x, [-1], true);

  // ---- forward ------------------------------------------------------------------------------------------------
  const linear = (x: string, name: string): string => g.add(g.matMul(x, T2(w(`${name}_w`))), w(`${name}_b`));
  interface LnTape { xhat: string; inv: string }
  const layerNorm = (x: string, wn: string, bn: string): { y: string; tape: LnTape } => {
    const mu = lastMean(x);
    const xc = g.sub(x, mu);
    const inv = g.div(c(1), g.sqrt(g.add(lastMean(g.mul(xc, xc)), c(EPS))));
    const xhat = g.mul(xc, inv);
    return { y: g.add(g.mul(xhat, w(wn)), w(bn)), tape: { xhat, inv } };
  };
  const heads = (x: string): string => g.transpose(g.reshape(x, [0, 0, H, d]), [0, 2, 1, 3]);
  const merge = (x: string): string => g.reshape(g.transpose(x, [0, 2, 1, 3]), [0, 0, W]);
  const maskData = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) maskData[i * T + j] = -Infinity;
  const mask = g.floatConst(maskData, [T, T]);

  interface LayerTape { x: string; ln1: LnTape; a: string; qs: string; k: string; v: string; p: string; o: string; x1: string; ln2: LnTape; m: string; h: string; sig: string; gl: string }
  const tapes: LayerTape[] = [];
  let x = g.add(tok, w('pos'));
  const hidden = [x];
  for (let i = 0; i < s.layers; i++) {
    const L = `L${i}.`;
    const ln1 = layerNorm(x, `${L}ln1_w`, `${L}ln1_b`);
    const qs = heads(g.mul(linear(ln1.y, `${L}q`), c(1 / Math.sqrt(d))));
    const k = heads(linear(ln1.y, `${L}k`));
    const v = heads(linear(ln1.y, `${L}v`));
    const p = g.softmax(g.add(g.matMul(qs, g.transpose(k, [0, 1, 3, 2])), mask), -1);
    const o = merge(g.matMul(p, v));
    const x1 = g.add(x, linear(o, `${L}o`));
    const ln2 = layerNorm(x1, `${L}ln2_w`, `${L}ln2_b`);
    const h = linear(ln2.y, `${L}fc1`);
    const sig = g.sigmoid(g.mul(h, c(1.702)));
    const gl = g.mul(h, sig);
    tapes.push({ x, ln1: ln1.tape, a: ln1.y, qs, k, v, p, o, x1, ln2: ln2.tape, m: ln2.y, h, sig, gl });
    x = g.add(x1, linear(gl, `${L}fc2`));
    hidden.push(x);
  }
  const lnf = layerNorm(x, 'lnf_w', 'lnf_b');
  const pooled = g.op('ReduceSum', [g.mul(lnf.y, g.unsqueeze(onehot, [2])), g.int64Const([1])], { keepdims: 0 }); // [B, W]
  const feats = g.matMul(pooled, T2(proj)); // [B, E]
  const norm = g.sqrt(g.op('ReduceSum', [g.mul(feats, feats), g.int64Const([-1])], { keepdims: 1 }));
  const en = g.div(feats, norm);
  const sim = g.matMul(en, T2(target)); // [B, 1]
  const batch = g.cast(g.slice(g.shape(tok), [0], [1]), F);
  g.output('loss', F, [], g.neg(g.reduceMean(g.reshape(sim, [-1]), [0], false)));
  g.output('features', F, ['batch', s.embedDim], feats);
  for (let n = 1; n <= s.layers + 1; n++) {
    const src = hidden[s.layers + 1 - n]!;
    g.output(`zn_skip_${n}`, F, ['batch', T, W], n === 1 ? lnf.y : layerNorm(src, 'lnf_w', 'lnf_b').y);
  }

  // ---- backward -----------------------------------------------------------------------------------------------
  const linearBack = (dy: string, x: string, name: string, inN: number, outN: number): string => {
    addGrad(`${name}_w`, g.matMul(T2(rows(dy, outN)), rows(x, inN)));
    addGrad(`${name}_b`, sumRows(dy, outN));
    return g.matMul(dy, w(`${name}_w`));
  };
  const layerNormBack = (dy: string, t: LnTape, wn: string, bn: string): string => {
    addGrad(wn, sumRows(g.mul(dy, t.xhat), W));
    addGrad(bn, sumRows(dy, W));
    const dxhat = g.mul(dy, w(wn));
    return g.mul(t.inv, g.sub(g.sub(dxhat, lastMean(dxhat)), g.mul(t.xhat, lastMean(g.mul(dxhat, t.xhat)))));
  };
  // loss = −mean_b(en_b · target): d en = −target / B; through the normalisation: (den − en (en·den)) / |f|.
  const den = g.div(g.neg(g.expand(target, g.shape(en))), batch);
  const dfeats = g.div(g.sub(den, g.mul(en, g.op('ReduceSum', [g.mul(en, den), g.int64Const([-1])], { keepdims: 1 }))), norm);
  const dpooled = g.matMul(dfeats, proj); // [B, W]
  const dlnf = g.mul(g.unsqueeze(onehot, [2]), g.unsqueeze(dpooled, [1])); // [B, T, W]
  let dx = layerNormBack(dlnf, lnf.tape, 'lnf_w', 'lnf_b');
  for (let i = s.layers - 1; i >= 0; i--) {
    const t = tapes[i]!;
    const L = `L${i}.`;
    // x2 = x1 + fc2(gelu(fc1(ln2(x1))))
    const dgl = linearBack(dx, t.gl, `${L}fc2`, s.mlp, W);
    const dh = g.mul(dgl, g.add(t.sig, g.mul(g.mul(t.h, c(1.702)), g.mul(t.sig, g.sub(c(1), t.sig)))));
    const dm = linearBack(dh, t.m, `${L}fc1`, W, s.mlp);
    const dx1 = g.add(dx, layerNormBack(dm, t.ln2, `${L}ln2_w`, `${L}ln2_b`));
    // x1 = x + o_proj(attention(ln1(x)))
    const dO = heads(linearBack(dx1, t.o, `${L}o`, W, W));
    const dP = g.matMul(dO, g.transpose(t.v, [0, 1, 3, 2]));
    const dv = g.matMul(g.transpose(t.p, [0, 1, 3, 2]), dO);
    const dS = g.mul(t.p, g.sub(dP, g.op('ReduceSum', [g.mul(dP, t.p), g.int64Const([-1])], { keepdims: 1 })));
    const dq = g.mul(g.matMul(dS, t.k), c(1 / Math.sqrt(d)));
    const dk = g.matMul(g.transpose(dS, [0, 1, 3, 2]), t.qs);
    const da = g.add(g.add(linearBack(merge(dq), t.a, `${L}q`, W, W), linearBack(merge(dk), t.a, `${L}k`, W, W)), linearBack(merge(dv), t.a, `${L}v`, W, W));
    dx = g.add(dx1, layerNormBack(da, t.ln1, `${L}ln1_w`, `${L}ln1_b`));
  }
  addGrad('pos', g.op('ReduceSum', [dx, g.int64Const([0])], { keepdims: 0 }));
  g.output('grad_tok', F, ['batch', T, W], dx);
  for (const n of trainableNames(s.layers)) g.output(`grad_${n}`, F, paramShape(n, s), grads.get(n)!);
  return g;
}
