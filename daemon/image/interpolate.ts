// torch.nn.functional.interpolate on planar float images (c × h × w), the modes A1111's latent upscalers use
// (`shared.latent_upscale_modes`): nearest, nearest-exact, bilinear and bicubic with align_corners=False, and the
// antialiased bilinear/bicubic kernels (`_upsample_*2d_aa`, PIL-style separable filters). Sizes are given, so the
// scale is in/out per axis as torch's `area_pixel_compute_scale` computes it.

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'bilinear' | 'bicubic';

/** One output index's taps along an axis: source indices and their weights. */
interface Taps {
  index: Int32Array;
  weight: Float32Array;
  /** Taps per output index. */
  n: number;
}

const clampIndex = (i: number, size: number): number => (i < 0 ? 0 : i >= size ? size - 1 : i);

/** torch's cubic convolution (A = −0.75 for plain bicubic; −0.5 for the antialiased filter, as PIL). */
function cubic(x: number, a: number): number {
  const t = Math.abs(x);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((t - 5) * t + 8) * t * a - 4 * a;
  return 0;
}

function plainTaps(mode: InterpolateMode, inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const n = mode === 'bicubic' ? 4 : mode === 'bilinear' ? 2 : 1;
  const index = new Int32Array(outSize * n);
  const weight = new Float32Array(outSize * n);
  for (let o = 0; o < outSize; o++) {
    if (mode === 'nearest' || mode === 'nearest-exact') {
      // torch computes these in float32 (`compute_scales_value<float>`, floorf).
      const s32 = Math.fround(scale);
      const src = mode === 'nearest' ? Math.floor(Math.fround(o * s32)) : Math.floor(Math.fround((o + 0.5) * s32));
      index[o] = Math.min(src, inSize - 1);
      weight[o] = 1;
    } else if (mode === 'bilinear') {
      const src = Math.max(0, (o + 0.5) * scale - 0.5);
      const i0 = Math.min(Math.floor(src), inSize - 1);
      const l = src - i0;
      index[2 * o] = i0;
      index[2 * o + 1] = Math.min(i0 + 1, inSize - 1);
      weight[2 * o] = 1 - l;
      weight[2 * o + 1] = l;
    } else {
      // Bicubic does not clamp the source coordinate, only the taps' indices.
      const src = (o + 0.5) * scale - 0.5;
      const i0 = Math.floor(src);
      const t = src - i0;
      for (let k = 0; k < 4; k++) {
        index[4 * o + k] = clampIndex(i0 - 1 + k, inSize);
        weight[4 * o + k] = cubic(t - (k - 1), -0.75);
      }
    }
  }
  return { index, weight, n };
}

/** `_upsample_*2d_aa`: support scaled by the downscale factor, weights normalised, edges truncated (PIL's way). */
function antialiasTaps(mode: 'bilinear' | 'bicubic', inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const interp = mode === 'bilinear' ? 2 : 4;
  const support = (interp / 2) * (scale >= 1 ? scale : 1);
  const invScale = scale >= 1 ? 1 / scale : 1;
  const filter = mode === 'bilinear' ? (x: number): number => Math.max(0, 1 - Math.abs(x)) : (x: number): number => cubic(x, -0.5);
  const n = Math.ceil(support) * 2 + 1;
  const index = new Int32Array(outSize * n);
  const weight = new Float32Array(outSize * n);
  for (let o = 0; o < outSize; o++) {
    const center = scale * (o + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    const w = new Float64Array(xsize);
    for (let j = 0; j < xsize; j++) {
      w[j] = filter((j + xmin - center + 0.5) * invScale);
      total += w[j]!;
    }
    for (let j = 0; j < n; j++) {
      index[o * n + j] = j < xsize ? xmin + j : xmin;
      weight[o * n + j] = j < xsize && total !== 0 ? w[j]! / total : 0;
    }
  }
  return { index, weight, n };
}

/** Resize every c×h×w plane of `src` to H×W. */
export function interpolate(src: Float32Array, c: number, h: number, w: number, H: number, W: number, mode: InterpolateMode, antialias = false): Float32Array {
  const aa = antialias && (mode === 'bilinear' || mode === 'bicubic');
  const ty = aa ? antialiasTaps(mode, h, H) : plainTaps(mode, h, H);
  const tx = aa ? antialiasTaps(mode, w, W) : plainTaps(mode, w, W);
  const out = new Float32Array(c * H * W);
  // Separable: rows first (h × W), then columns, per channel.
  const rows = new Float32Array(h * W);
  for (let ch = 0; ch < c; ch++) {
    const plane = src.subarray(ch * h * w, (ch + 1) * h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < W; x++) {
        let v = 0;
        for (let k = 0; k < tx.n; k++) v += tx.weight[x * tx.n + k]! * plane[y * w + tx.index[x * tx.n + k]!]!;
        rows[y * W + x] = v;
      }
    }
    const dst = out.subarray(ch * H * W, (ch + 1) * H * W);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let v = 0;
        for (let k = 0; k < ty.n; k++) v += ty.weight[y * ty.n + k]! * rows[ty.index[y * ty.n + k]! * W + x]!;
        dst[y * W + x] = v;
      }
    }
  }
  return out;
}
