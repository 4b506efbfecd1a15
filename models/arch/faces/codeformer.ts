// CodeFormer (sczhou/CodeFormer basicsr/archs/codeformer_arch.py on vqgan_arch.py; A1111's
// `codeformer-v0.1.0.pth`, `params_ema`), forward(x, w, adain=True) as A1111 calls it:
//   VQGAN encoder (features kept at the fuse sizes) → lq_feat → feat_emb tokens → pre-LN transformer layers
//   (q = k = x + position_emb) → LayerNorm + Linear logits → top-1 code → codebook rows → AdaIN to lq_feat
//   (unbiased variance + 1e-5) → VQGAN generator, where after the fuse blocks each connect size adds
//   w · (dec · scale + shift) computed from [enc, dec].
// Block kinds, widths, layer counts, heads' width and the connect list come from the keys; the fuse positions are
// CodeFormer's own tables. Inputs `image` [1, 3, 512, 512] RGB in [-1, 1] and `w` [1] (fidelity: 0 = strongest
// restoration); outputs `restored` (not clamped), `logits`, `lq_feat`, `top_idx`.
import { ElemType, GraphBuilder } from '../../graph';
import type { TensorRecord } from '../../formats/tensorRecord';
import { attention, conv, fromTokens, groupNorm, layerNorm, linear, nearestUp2, toTokens } from '../layers';
import { ArchError, Params } from '../params';
import type { BuiltPart } from '../unet';

/** CodeFormer.fuse_encoder_block / fuse_generator_block: block index after which each size is taken / fused. */
const FUSE_ENCODER: Record<string, number> = { 512: 2, 256: 5, 128: 8, 64: 11, 32: 14, 16: 18 };
const FUSE_GENERATOR: Record<string, number> = { 16: 6, 32: 9, 64: 12, 128: 15, 256: 18, 512: 21 };
const GN_EPS = 1e-6;

const swish = (g: GraphBuilder, x: string): string => g.silu(x);

function resBlock(p: Params, x: string): string {
  const g = p.g;
  let h = conv(p, 'conv1', swish(g, groupNorm(p, 'norm1', x, GN_EPS)));
  h = conv(p, 'conv2', swish(g, groupNorm(p, 'norm2', h, GN_EPS)));
  return g.add(h, p.has('conv_out.weight') ? conv(p, 'conv_out', x) : x);
}

/** vqgan AttnBlock: single-head self-attention over the H·W positions with 1×1-conv projections. */
function attnBlock(p: Params, x: string): string {
  const h = groupNorm(p, 'norm', x, GN_EPS);
  const c = p.shape('q.weight')[0]!;
  const tok = (name: string): string => toTokens(p, conv(p, name, h));
  const a = attention(p, tok('q'), tok('k'), tok('v'), 1, c);
  return p.g.add(x, conv(p, 'proj_out', fromTokens(p, a, x)));
}

/** One entry of encoder.blocks / generator.blocks, its kind read from its keys. */
function block(p: Params, x: string, inEncoder: boolean): string {
  if (p.has('norm1.weight')) return resBlock(p, x);
  if (p.has('q.weight')) return attnBlock(p, x);
  if (p.has('conv.weight')) {
    // Downsample: pad (0, 1, 0, 1) then a stride-2 3×3; Upsample: nearest ×2 then a 3×3.
    return inEncoder ? conv(p, 'conv', x, { stride: 2, pads: [0, 0, 1, 1] }) : conv(p, 'conv', nearestUp2(p, x));
  }
  if (p.has('weight') && p.shape('weight').length === 1) return p.g.groupNorm(x, 32, p.get('weight'), p.get('bias'), GN_EPS);
  if (p.has('weight')) return conv(p, '', x);
  throw new ArchError(`CodeFormer block ${p.prefix}: not a conv, norm, ResBlock, AttnBlock or resampler`);
}

/** Per-channel mean and unbiased std (+ eps) over the positions of [1, C, H, W] with `n` positions. */
function meanStd(g: GraphBuilder, x: string, n: number): [string, string] {
  const mean = g.reduceMean(x, [2, 3]);
  const d = g.sub(x, mean);
  const ss = g.op('ReduceSum', [g.mul(d, d), g.int64Const([2, 3])], { keepdims: 1 });
  return [mean, g.sqrt(g.add(g.div(ss, g.floatConst(n - 1)), g.floatConst(1e-5)))];
}

function adain(g: GraphBuilder, content: string, style: string, n: number): string {
  const [cm, cs] = meanStd(g, content, n);
  const [sm, ss] = meanStd(g, style, n);
  return g.add(g.mul(g.div(g.sub(content, cm), cs), ss), sm);
}

/** TransformerSALayer (pre-LN, nn.MultiheadAttention with packed in_proj, exact GELU MLP). */
function transformerLayer(p: Params, x: string, pos: string, heads: number, dim: number): string {
  const g = p.g;
  const h = layerNorm(p, 'norm1', x);
  const qk = g.add(h, pos);
  const w = p.get('self_attn.in_proj_weight');
  const b = p.get('self_attn.in_proj_bias');
  const proj = (input: string, i: number): string =>
    g.add(g.matMul(input, g.transpose(g.slice(w, [i * dim], [(i + 1) * dim], [0]), [1, 0])), g.slice(b, [i * dim], [(i + 1) * dim], [0]));
  const a = attention(p, proj(qk, 0), proj(qk, 1), proj(h, 2), heads, dim);
  const y = g.add(x, linear(p, 'self_attn.out_proj', a));
  return g.add(y, linear(p, 'linear2', g.gelu(linear(p, 'linear1', layerNorm(p, 'norm2', y)))));
}

function fuse(p: Params, enc: string, dec: string, w: string): string {
  const g = p.g;
  const e = resBlock(p.at('encode_enc.'), g.concat([enc, dec], 1));
  const branch = (name: string): string => conv(p, `${name}.2`, g.leakyRelu(conv(p, `${name}.0`, e), 0.2));
  return g.add(dec, g.mul(w, g.add(g.mul(dec, branch('scale')), branch('shift'))));
}

export function isCodeFormer(keys: { has(key: string): boolean }): boolean {
  return keys.has('position_emb') && keys.has('quantize.embedding.weight') && keys.has('encoder.blocks.0.weight') && keys.has('idx_pred_layer.1.weight');
}

export interface CodeFormerInfo {
  dim: number;
  layers: number;
  codebook: number;
  connect: string[];
}

/** `heads`: nn.MultiheadAttention's head count, which no weight shape records (CodeFormer and A1111 use 8). */
export function buildCodeFormer(tensors: ReadonlyMap<string, TensorRecord>, o: { heads?: number } = {}): BuiltPart & { info: CodeFormerInfo } {
  const ft = ElemType.FLOAT;
  const g = new GraphBuilder({ name: 'codeformer', floatType: ft });
  const p = Params.create(g, tensors, '', ft);
  if (!isCodeFormer(tensors)) throw new ArchError('not a CodeFormer state dict (no position_emb / quantize.embedding / idx_pred_layer)');
  const heads = o.heads ?? 8;
  const [tokens, dim] = p.shape('position_emb') as [number, number];
  const [codebook, embDim] = p.shape('quantize.embedding.weight') as [number, number];
  const side = Math.round(Math.sqrt(tokens));
  if (side * side !== tokens) throw new ArchError(`CodeFormer position_emb has ${tokens} rows, not a square latent`);
  const layers = p.count('ft_layers.', '.norm1.weight');
  const connect = Object.keys(FUSE_GENERATOR).filter((s) => p.has(`fuse_convs_dict.${s}.scale.0.weight`));

  const image = g.input('image', ft, [1, 3, 512, 512]);
  const w = g.input('w', ft, [1]);
  const encoderFeats = new Map<string, string>();
  let x = image;
  const encBlocks = countBlocks(p, 'encoder.blocks.');
  for (let i = 0; i < encBlocks; i++) {
    x = block(p.at(`encoder.blocks.${i}.`), x, true);
    for (const s of connect) if (FUSE_ENCODER[s] === i) encoderFeats.set(s, x);
  }
  const lqFeat = x;
  let q = linear(p, 'feat_emb', toTokens(p, lqFeat));
  const pos = p.get('position_emb');
  for (let l = 0; l < layers; l++) q = transformerLayer(p.at(`ft_layers.${l}.`), q, pos, heads, dim);
  const logits = linear(p, 'idx_pred_layer.1', layerNorm(p, 'idx_pred_layer.0', q));
  const topIdx = g.argMax(logits, 2, false);
  const codes = g.gather(p.get('quantize.embedding.weight'), topIdx, 0); // [1, tokens, emb]
  const quant = g.transpose(g.reshape(codes, [1, side, side, embDim]), [0, 3, 1, 2]);
  x = adain(g, quant, lqFeat, tokens);
  const genBlocks = countBlocks(p, 'generator.blocks.');
  for (let i = 0; i < genBlocks; i++) {
    x = block(p.at(`generator.blocks.${i}.`), x, false);
    for (const s of connect) if (FUSE_GENERATOR[s] === i) x = fuse(p.at(`fuse_convs_dict.${s}.`), encoderFeats.get(s)!, x, w);
  }
  g.output('restored', ft, [1, 3, 512, 512], x);
  g.output('logits', ft, [1, tokens, codebook], logits);
  g.output('lq_feat', ft, [1, embDim, side, side], lqFeat);
  g.output('top_idx', ElemType.INT64, [1, tokens], topIdx);
  return { g, params: p, info: { dim, layers, codebook, connect } };
}

/** Number of consecutive `prefixN.` entries (blocks without parameters would end the count; VQGAN has none). */
function countBlocks(p: Params, prefix: string): number {
  let n = 0;
  const keys = p.keys();
  while (keys.some((k) => k.startsWith(`${prefix}${n}.`))) n++;
  return n;
}
