// What CLIP's two towers share in the graph: the pre-LN residual attention block with a QuickGELU MLP
// (clip.model.ResidualAttentionBlock / HF CLIPEncoderLayer) and the final projection.
import { attention, layerNorm, linear, quickGelu } from '../layers';
import { ArchError, type Params } from '../params';
import type { LayerKeys, ProjectionKey } from './layout';

/** One transformer layer on [B, T, W]; `mask` is an additive [T, T] mask (the text tower's causal one). */
export function clipLayer(p: Params, k: LayerKeys, x: string, heads: number, width: number, mask?: string): string {
  const g = p.g;
  const a = layerNorm(p, k.ln1, x);
  let q: string, kk: string, v: string;
  if ('packed' in k.qkv) {
    // nn.MultiheadAttention: one [3W, W] in-projection, rows q; k; v.
    const all = g.add(g.matMul(a, g.transpose(p.get(`${k.qkv.packed}_weight`), [1, 0])), p.get(`${k.qkv.packed}_bias`));
    [q, kk, v] = [0, 1, 2].map((i) => g.slice(all, [i * width], [(i + 1) * width], [-1])) as [string, string, string];
  } else {
    q = linear(p, k.qkv.q, a);
    kk = linear(p, k.qkv.k, a);
    v = linear(p, k.qkv.v, a);
  }
  const h = g.add(x, linear(p, k.out, attention(p, q, kk, v, heads, width, mask)));
  return g.add(h, linear(p, k.fc2, quickGelu(p, linear(p, k.fc1, layerNorm(p, k.ln2, h)))));
}

/** `x @ proj` (OpenAI [W, E]) or `Linear(W, E, bias=False)` (HF [E, W]). `root` is the file-root Params. */
export function project(root: Params, proj: ProjectionKey, x: string): string {
  const g = root.g;
  const w = root.get(proj.key);
  return g.matMul(x, proj.linear ? g.transpose(w, [1, 0]) : w);
}

/** Output width of the projection. */
export function projectionDim(root: Params, proj: ProjectionKey): number {
  const s = root.shape(proj.key);
  if (s.length !== 2) throw new ArchError(`${proj.key}: expected a matrix, got shape [${s.join(', ')}]`);
  return proj.linear ? s[0]! : s[1]!;
}

/** heads = width / 64, as clip.model.build_model infers them (and every HF CLIP config states). */
export function clipHeads(width: number): number {
  const heads = width / 64;
  if (!Number.isInteger(heads) || heads < 1) throw new ArchError(`CLIP width ${width} is not a multiple of 64 (heads are width / 64)`);
  return heads;
}
