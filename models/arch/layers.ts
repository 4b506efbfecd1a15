// Layers shared by the architectures, written against checkpoint keys: `linear(p, 'attn1.to_q', x)` uses
// `attn1.to_q.weight` [out, in] (and `.bias` when the checkpoint has one). Weights stay in the checkpoint's own
// layout (Linear is MatMul with a Transpose of the initializer, which ONNX Runtime folds at load) so they can be
// read in place from the file.
import { attr } from '../graph';
import type { Params } from './params';
import { convInt8, linearInt8, wantsInt8 } from './int8';

/** PyTorch Linear over the last axis (int8 when the Params ask for it: int8.ts). */
export function linear(p: Params, key: string, x: string): string {
  if (wantsInt8(p, key)) return linearInt8(p, key, x);
  const g = p.g;
  const y = g.matMul(x, g.transpose(p.get(`${key}.weight`), [1, 0]));
  return p.has(`${key}.bias`) ? g.add(y, p.get(`${key}.bias`)) : y;
}

/** Conv2d (`key` '' for a bare `weight`/`bias` pair) with the kernel read from the weight; padding k/2 unless given ([top, left, bottom, right]). */
export function conv(p: Params, key: string, x: string, o: { stride?: number; pads?: readonly number[] } = {}): string {
  const dot = key ? `${key}.` : '';
  const [, , kh, kw] = p.shape(`${dot}weight`) as [number, number, number, number];
  const pads = o.pads ?? [kh >> 1, kw >> 1, kh >> 1, kw >> 1];
  const stride = o.stride ?? 1;
  if (key && wantsInt8(p, key)) return convInt8(p, key, x, stride, pads);
  return p.g.conv(x, p.get(`${dot}weight`), p.has(`${dot}bias`) ? p.get(`${dot}bias`) : undefined, {
    kernelShape: [kh, kw],
    pads,
    strides: [stride, stride],
  });
}

/** GroupNorm(32) with affine, on [N, C, H, W]; the eps differs between SD's blocks, so it is always given. */
export function groupNorm(p: Params, key: string, x: string, eps: number, groups = 32): string {
  return p.g.groupNorm(x, groups, p.get(`${key}.weight`), p.get(`${key}.bias`), eps);
}

export function layerNorm(p: Params, key: string, x: string, eps = 1e-5): string {
  return p.g.layerNormalization(x, p.get(`${key}.weight`), p.get(`${key}.bias`), -1, eps);
}

/** x·sigmoid(1.702x): CLIP's quick_gelu. */
export function quickGelu(p: Params, x: string): string {
  const g = p.g;
  return g.mul(x, g.sigmoid(g.mul(x, g.floatConst(1.702))));
}

/**
 * Multi-head attention on [B, T, C] queries and [B, S, C] keys/values: softmax(q kᵀ / √d + mask) v, heads split
 * from C. Unmasked attention is ONNX Runtime's fused MultiHeadAttention (com.microsoft; CPU, CUDA, DirectML,
 * WebGPU): it never holds the T×S score matrix for all heads at once, which at SD's full resolution is GBs
 * (4096² × 8 heads × batch 2 × 4 bytes = 1 GiB, twice with the softmax). In fp16 graphs (GPU providers) it is
 * CUDA's flash / memory-efficient attention; ONNX Runtime's CPU provider runs the fp16 node through casts to fp32.
 * Masked attention (the text encoders) keeps the ops as exported, the scale applied to q (T×C values) rather
 * than to the T×S scores.
 */
export function attention(p: Params, q: string, k: string, v: string, heads: number, channels: number, mask?: string): string {
  const g = p.g;
  const d = channels / heads;
  if (!Number.isInteger(d)) throw new Error(`attention: ${channels} channels do not split into ${heads} heads`);
  if (mask === undefined) return g.op('MultiHeadAttention', [q, k, v], { num_heads: heads }, { domain: 'com.microsoft' });
  const qh = g.transpose(g.reshape(g.mul(q, g.floatConst(1 / Math.sqrt(d))), [0, 0, heads, d]), [0, 2, 1, 3]);
  const kh = g.transpose(g.reshape(k, [0, 0, heads, d]), [0, 2, 3, 1]);
  const vh = g.transpose(g.reshape(v, [0, 0, heads, d]), [0, 2, 1, 3]);
  let scores = g.matMul(qh, kh);
  if (mask !== undefined) scores = g.add(scores, mask);
  const out = g.matMul(g.softmax(scores, -1), vh);
  return g.reshape(g.transpose(out, [0, 2, 1, 3]), [0, 0, channels]);
}

/** [B, C, H, W] → [B, H·W, C]. */
export function toTokens(p: Params, x: string): string {
  return p.g.transpose(p.g.reshape(x, [0, 0, -1]), [0, 2, 1]);
}

/** [B, H·W, C] → the shape of `like` ([B, C, H, W]). */
export function fromTokens(p: Params, x: string, like: string): string {
  return p.g.reshape(p.g.transpose(x, [0, 2, 1]), p.g.shape(like));
}

/** Additive causal mask [T, T]: 0 on and below the diagonal, -inf above (as open_clip; HF uses finfo.min). */
export function causalMask(p: Params, t: number): string {
  const m = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) m[i * t + j] = -Infinity;
  return p.g.floatConst(m, [t, t]);
}

export function nearestUp2(p: Params, x: string): string {
  return p.g.resize(x, { mode: 'nearest', scales: [1, 1, 2, 2], coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' });
}

/** BatchNorm2d in eval mode (running statistics; PyTorch's eps 1e-5). ORT folds it into the conv before it. */
export function batchNorm(p: Params, key: string, x: string, eps = 1e-5): string {
  const w = (n: string): string => p.get(`${key}.${n}`);
  return p.g.op('BatchNormalization', [x, w('weight'), w('bias'), w('running_mean'), w('running_var')], { epsilon: attr.float(eps) });
}

/** LeakyReLU, or ReLU at slope 0 (what nn.LeakyReLU(0) computes). */
export function leaky(p: Params, x: string, slope: number): string {
  return slope === 0 ? p.g.relu(x) : p.g.leakyRelu(x, slope);
}
