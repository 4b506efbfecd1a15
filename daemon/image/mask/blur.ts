// The two blurs inpainting uses: OpenCV's separable Gaussian for the mask blur
// (`StableDiffusionProcessingImg2Img.init`), and Pillow's GaussianBlur (three extended box blurs) for masked content
// "fill" and soft inpainting's overlay mask.
import type { GrayImage } from './gray';

/** cv2 kernel size for a blur of `sigma` as A1111 asks for it: 2·int(2.5·σ + 0.5) + 1 (21 for the default 4). */
export const maskBlurKernelSize = (sigma: number): number => 2 * Math.trunc(2.5 * sigma + 0.5) + 1;

/** `cv2.getGaussianKernel(k, σ)` in double precision. */
export function gaussianKernel(k: number, sigma: number): Float64Array {
  const out = new Float64Array(k);
  const c = (k - 1) / 2;
  let sum = 0;
  for (let i = 0; i < k; i++) sum += out[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
  for (let i = 0; i < k; i++) out[i]! /= sum;
  return out;
}

/** OpenCV's default border (BORDER_REFLECT_101: …cb|abcd|cb…), valid for any offset. */
export function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  i = ((i % period) + period) % period;
  return i < n ? i : period - i;
}

function blur1d(m: GrayImage, sigma: number, horizontal: boolean): GrayImage {
  const k = maskBlurKernelSize(sigma);
  const kern = gaussianKernel(k, sigma);
  const r = (k - 1) / 2;
  const { width: W, height: H } = m;
  const out = new Uint8Array(W * H);
  const n = horizontal ? W : H;
  const idx = new Int32Array(n + 2 * r);
  for (let i = 0; i < idx.length; i++) idx[i] = reflect101(i - r, n);
  const lines = horizontal ? H : W;
  const stride = horizontal ? 1 : W;
  const lineStep = horizontal ? W : 1;
  for (let l = 0; l < lines; l++) {
    const base = l * lineStep;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += kern[j]! * m.data[base + idx[i + j]! * stride]!;
      out[base + i * stride] = Math.min(255, Math.max(0, Math.round(s)));
    }
  }
  return { data: out, width: W, height: H };
}

/**
 * A1111's mask blur: X then Y, each a 1-D `cv2.GaussianBlur` on the 8-bit mask at its own resolution, skipped
 * when that blur is 0. OpenCV's 8-bit path uses fixed-point kernels; this double-precision version can differ
 * from it by one grey level at a few pixels.
 */
export function blurMask(m: GrayImage, blurX: number, blurY: number): GrayImage {
  let out = m;
  if (blurX > 0) out = blur1d(out, blurX, true);
  if (blurY > 0) out = blur1d(out, blurY, false);
  return out;
}

/** Pillow `_gaussian_blur_radius`: the extended-box radius whose 3 passes give a Gaussian of `radius`. */
function boxRadius(radius: number, passes: number): number {
  const sigma2 = (radius * radius) / passes;
  const L = Math.sqrt(12 * sigma2 + 1);
  const l = Math.floor((L - 1) / 2);
  let a = (2 * l + 1) * (l * (l + 1) - 3 * sigma2);
  a /= 6 * (sigma2 - (l + 1) * (l + 1));
  return l + a;
}

/** One extended box blur (fractional radius) along a line of `n` values with edge clamping, as Pillow does. */
function boxLine(src: Float32Array, dst: Float32Array, n: number, off: number, stride: number, radius: number): void {
  const ri = Math.floor(radius);
  const frac = radius - ri;
  const norm = 1 / (2 * radius + 1);
  const at = (i: number): number => src[off + Math.min(n - 1, Math.max(0, i)) * stride]!;
  let acc = 0;
  for (let i = -ri; i <= ri; i++) acc += at(i);
  for (let x = 0; x < n; x++) {
    dst[off + x * stride] = (acc + frac * (at(x - ri - 1) + at(x + ri + 1))) * norm;
    acc += at(x + ri + 1) - at(x - ri);
  }
}

/**
 * Pillow `ImageFilter.GaussianBlur(radius)` on float planes (each `w·h`), in place: 3 extended box blurs per
 * axis with clamped edges. Float throughout (Pillow rounds to 8 bits between passes).
 */
export function pilGaussianBlurPlanes(planes: Float32Array[], w: number, h: number, radius: number): void {
  if (radius <= 0) return;
  const r = boxRadius(radius, 3);
  for (const p of planes) {
    const tmp = new Float32Array(p.length);
    for (let pass = 0; pass < 3; pass++) {
      for (let y = 0; y < h; y++) boxLine(p, tmp, w, y * w, 1, r);
      p.set(tmp);
    }
    for (let pass = 0; pass < 3; pass++) {
      for (let x = 0; x < w; x++) boxLine(p, tmp, h, x, w, r);
      p.set(tmp);
    }
  }
}

/** Pillow GaussianBlur of a mask, rounded back to 8 bits. */
export function pilGaussianBlurGray(m: GrayImage, radius: number): GrayImage {
  const f = Float32Array.from(m.data);
  pilGaussianBlurPlanes([f], m.width, m.height, radius);
  const out = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(f[i]!)));
  return { data: out, width: m.width, height: m.height };
}
