// int8 Linear and Conv for ONNX Runtime's CPU provider, where its u8×s8 kernels use VNNI: weights quantised per
// output channel, symmetric (scale = max|w| / 127, no zero point), activations quantised per tensor at run time.
//  - Linear: com.microsoft DynamicQuantizeMatMul (quantises its input itself), bias fused.
//  - Conv: the input is quantised once (DynamicQuantizeLinear), laid out channels-last, padded with its zero
//    point and unfolded (im2col on uint8: 4× less traffic than on floats), then one MatMulIntegerToFloat against
//    the [kh·kw·in, out] weights; back to NCHW. ORT's own ConvInteger has no s8-weight fast path.
// Layers whose input or output width is tiny (the UNet's 4-channel conv_in / out) stay fp32.
import { ElemType } from '../graph';
import type { Derivation, Params } from './params';

const MS = { domain: 'com.microsoft' };
/** Below this many input features (in · kh · kw) or 8 outputs a layer stays fp32: nothing to gain, precision to lose. */
const MIN_FEATURES = 64;

export function wantsInt8(p: Params, key: string): boolean {
  if (!p.options.int8) return false;
  const shape = p.shape(`${key}.weight`);
  const features = shape.slice(1).reduce((a, b) => a * b, 1);
  return features >= MIN_FEATURES && shape[0]! >= 8;
}

/** x · Wᵀ + b with W int8. x: [..., in] float. */
export function linearInt8(p: Params, key: string, x: string): string {
  const w = p.derived(`${key}.weight`, 'int8-matmul');
  const scale = p.derived(`${key}.weight`, 'int8-scale');
  const bias = p.has(`${key}.bias`) ? p.get(`${key}.bias`) : undefined;
  return p.g.op('DynamicQuantizeMatMul', [x, w, scale, '', bias], {}, MS);
}

/** Conv2d NCHW with W int8; `pads` [top, left, bottom, right]. */
export function convInt8(p: Params, key: string, x: string, stride: number, pads: readonly number[]): string {
  const g = p.g;
  const [, , kh, kw] = p.shape(`${key}.weight`) as [number, number, number, number];
  const [xq, xScale, xZero] = g.node('DynamicQuantizeLinear', [x], 3) as [string, string, string];
  let nhwc = g.transpose(xq, [0, 2, 3, 1]);
  const [top, left, bottom, right] = pads as [number, number, number, number];
  if (top || left || bottom || right) nhwc = g.op('Pad', [nhwc, g.int64Const([0, top, left, 0, 0, bottom, right, 0]), xZero], { mode: 'constant' });
  const taps: string[] = [];
  const END = 2 ** 62;
  for (let dy = 0; dy < kh; dy++) {
    for (let dx = 0; dx < kw; dx++) {
      // Rows dy, dy + stride, … stopping kh − 1 − dy before the end: exactly the output rows.
      const end = (d: number, k: number) => (d === k - 1 ? END : d - (k - 1));
      taps.push(kh === 1 && kw === 1 && stride === 1 ? nhwc : g.slice(nhwc, [dy, dx], [end(dy, kh), end(dx, kw)], [1, 2], [stride, stride]));
    }
  }
  const cols = taps.length === 1 ? taps[0]! : g.concat(taps, 3); // [B, Ho, Wo, kh·kw·in]
  const outShape = g.concat([g.slice(g.shape(cols), [0], [3]), g.int64Const([-1])], 0);
  const flat = g.reshape(cols, g.concat([g.slice(g.shape(cols), [0], [1]), g.int64Const([-1]), g.slice(g.shape(cols), [3], [4])], 0));
  const w = p.derived(`${key}.weight`, 'int8-conv');
  const scale = p.derived(`${key}.weight`, 'int8-scale');
  const bias = p.has(`${key}.bias`) ? p.get(`${key}.bias`) : undefined;
  const y = g.op('MatMulIntegerToFloat', [flat, w, xScale, scale, xZero, '', bias], {}, MS); // [B, Ho·Wo, out]
  return g.transpose(g.reshape(y, outShape), [0, 3, 1, 2]);
}

/** The derived initializer's values from its source weight (float32, checkpoint layout `shape`). */
export function deriveWeight(d: Derivation, w: Float32Array, shape: readonly number[]): { data: Int8Array | Float32Array; dims: number[]; elemType: ElemType } {
  const out = shape[0]!;
  const per = w.length / out;
  const scales = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let m = 0;
    for (let i = 0; i < per; i++) m = Math.max(m, Math.abs(w[o * per + i]!));
    scales[o] = m > 0 ? m / 127 : 1;
  }
  if (d.kind === 'int8-scale') return { data: scales, dims: [out], elemType: ElemType.FLOAT };
  const q = new Int8Array(w.length);
  const quant = (v: number, o: number) => Math.max(-127, Math.min(127, Math.round(v / scales[o]!)));
  if (d.kind === 'int8-matmul') {
    // [out, in] → [in, out]
    for (let o = 0; o < out; o++) for (let i = 0; i < per; i++) q[i * out + o] = quant(w[o * per + i]!, o);
    return { data: q, dims: [per, out], elemType: ElemType.INT8 };
  }
  // Conv [out, in, kh, kw] → [(ky·kw + kx)·in + c, out], the order of the unfolded taps above.
  const [, cin, kh, kw] = shape as [number, number, number, number];
  for (let o = 0; o < out; o++) {
    for (let c = 0; c < cin; c++) {
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) q[((ky * kw + kx) * cin + c) * out + o] = quant(w[((o * cin + c) * kh + ky) * kw + kx]!, o);
      }
    }
  }
  return { data: q, dims: [kh * kw * cin, out], elemType: ElemType.INT8 };
}
