// Soft inpainting (A1111's built-in extension, `extensions-builtin/soft-inpainting/scripts/soft_inpainting.py`): a
// per-step blend that interpolates latent vectors and their magnitudes separately, and an overlay mask rebuilt from
// where the result differs.
import { pilGaussianBlurGray } from '../image/mask/blur';
import { minGray, type Box, type GrayImage } from '../image/mask/gray';
import { resizeMask } from '../image/mask/resizeMask';

export interface SoftInpaintSettings {
  /** Schedule bias (`mask_blend_power`), default 1. */
  power: number;
  /** Preservation strength (`mask_blend_scale`), default 0.5. */
  scale: number;
  /** Transition contrast boost (`inpaint_detail_preservation`), default 4. */
  detailPreservation: number;
  /** Mask influence, default 0. */
  maskInfluence: number;
  /** Difference threshold, default 0.5. */
  differenceThreshold: number;
  /** Difference contrast, default 2. */
  differenceContrast: number;
}

export const SOFT_INPAINT_DEFAULTS: SoftInpaintSettings = { power: 1, scale: 0.5, detailPreservation: 4, maskInfluence: 0, differenceThreshold: 0.5, differenceContrast: 2 };

/**
 * One image's per-step blend, in place on `current` (4×h×w): t = nmask^(σ^power·scale), then
 * `latent_blend(init, current, t)` — a linear mix whose per-pixel 4-vector norm is reset to
 * ((1−t)·|a|^p + t·|b|^p)^(1/p), in double precision.
 */
export function softBlend(s: SoftInpaintSettings, init: Float32Array, current: Float32Array, nmask: Float32Array, sigma: number): void {
  const plane = nmask.length;
  const exponent = sigma ** s.power * s.scale;
  const p = s.detailPreservation;
  for (let i = 0; i < plane; i++) {
    const t = nmask[i]! ** exponent;
    let na = 0;
    let nb = 0;
    let ni = 0;
    const mixed = [0, 0, 0, 0];
    for (let c = 0; c < 4; c++) {
      const a = init[c * plane + i]!;
      const b = current[c * plane + i]!;
      const v = Math.fround(a * (1 - t) + b * t);
      mixed[c] = v;
      na += a * a;
      nb += b * b;
      ni += v * v;
    }
    const desired = ((1 - t) * Math.sqrt(na) ** p + t * Math.sqrt(nb) ** p) ** (1 / p);
    const k = Math.fround(desired / (Math.sqrt(ni) + 0.00001));
    for (let c = 0; c < 4; c++) current[c * plane + i] = mixed[c]! * k;
  }
}

/** Weighted percentile filter (`weighted_histogram_filter`) with the extension's Gaussian kernel (σ 1.5, radius 2). */
function weightedHistogramFilter(img: Float32Array, h: number, w: number, pmin: number, pmax: number, minWidth = 1): Float32Array {
  const R = 2;
  const kernel = (dy: number, dx: number): number => Math.exp(-(dy * dy + dx * dx) / (1.5 * 1.5));
  const out = new Float32Array(img.length);
  const vals: Array<[number, number]> = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      vals.length = 0;
      for (let yy = Math.max(0, y - R); yy < Math.min(h, y + R + 1); yy++) {
        for (let xx = Math.max(0, x - R); xx < Math.min(w, x + R + 1); xx++) vals.push([img[yy * w + xx]!, kernel(yy - y, xx - x)]);
      }
      vals.sort((a, b) => a[0] - b[0]);
      let sum = 0;
      for (const v of vals) sum += v[1];
      let lo = sum * pmin;
      let hi = sum * pmax;
      if (hi - lo < minWidth) {
        const c = (lo + hi) / 2;
        lo = c - minWidth / 2;
        hi = c + minWidth / 2;
        if (hi > sum) {
          hi = sum;
          lo = sum - minWidth;
        }
        if (lo < 0) {
          lo = 0;
          hi = minWidth;
        }
      }
      let value = 0;
      let weight = 0;
      let start = 0;
      for (const [v, wt] of vals) {
        const end = start + wt;
        if (lo < end && hi > start) {
          const o = Math.min(hi, end) - Math.max(lo, start);
          value += v * o;
          weight += o;
        }
        start = end;
      }
      out[y * w + x] = weight !== 0 ? value / weight : 0;
    }
  }
  return out;
}

const smootherstep = (x: number): number => x * x * x * (x * (6 * x - 15) + 10);

/**
 * `apply_adaptive_masks` for one image: the overlay mask (processing size W×H) from the per-pixel latent distance
 * between result and init, scaled by the original mask, contrast-mapped, upscaled with resize-and-fill and
 * blurred (Pillow radius 4).
 */
export function adaptiveOverlayMask(s: SoftInpaintSettings, nmask: Float32Array, init: Float32Array, result: Float32Array, h: number, w: number, W: number, H: number): GrayImage {
  const plane = h * w;
  const dist = new Float32Array(plane);
  for (let i = 0; i < plane; i++) {
    let d = 0;
    for (let c = 0; c < 4; c++) d += (result[c * plane + i]! - init[c * plane + i]!) ** 2;
    dist[i] = Math.sqrt(d);
  }
  const filtered = weightedHistogramFilter(weightedHistogramFilter(dist, h, w, 0.9, 1), h, w, 0.25, 0.75);
  const small = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) {
    let ms = 1 - Math.min(1, Math.max(0, nmask[i]!)) ** (s.scale / 2);
    ms = 0.5 * (1 - s.maskInfluence) + ms * s.maskInfluence;
    ms = ms / (1.00001 - ms);
    const x = filtered[i]! / (s.differenceThreshold * ms);
    const v = 1 - smootherstep(1 / (1 + x ** s.differenceContrast));
    small[i] = Math.max(0, Math.min(255, Math.trunc(255 * v)));
  }
  return pilGaussianBlurGray(resizeMask({ data: small, width: w, height: h }, 2, W, H), 4);
}

/**
 * The adaptive mask (processing size) as the overlay mask at the original's size: pasted into the only-masked
 * box (A1111 `uncrop`), and — beyond A1111 — limited to where the blurred mask is non-zero, so the outside stays
 * byte-identical to the source.
 */
export function softOverlayMask(soft: GrayImage, maskForOverlay: GrayImage, paste: Box | undefined): GrayImage {
  let full = soft;
  if (paste) {
    const [x1, y1, x2, y2] = paste;
    const inBox = resizeMask(soft, 1, x2 - x1, y2 - y1);
    const data = new Uint8Array(maskForOverlay.width * maskForOverlay.height);
    for (let y = y1; y < y2; y++) data.set(inBox.data.subarray((y - y1) * inBox.width, (y - y1 + 1) * inBox.width), y * maskForOverlay.width + x1);
    full = { data, width: maskForOverlay.width, height: maskForOverlay.height };
  }
  const limit = { data: maskForOverlay.data.map((v) => (v > 0 ? 255 : 0)), width: maskForOverlay.width, height: maskForOverlay.height };
  return minGray(full, limit);
}
