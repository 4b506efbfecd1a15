// The final composite over the original (A1111 `modules/processing.py: apply_overlay`) with Pillow's integer
// arithmetic, the only-masked paste-back (`uncrop`), and colour matching in the blend band (beyond A1111, against
// seams).
import type { RgbImage } from '../rgbImage';
import { resizeForImg2Img } from '../resize';
import { pilGaussianBlurPlanes } from './blur';
import type { Box, GrayImage } from './gray';

/** RGBA, straight alpha, 8 bits: A1111's overlay image and the uncropped canvas. */
export interface RgbaImage {
  data: Uint8Array;
  width: number;
  height: number;
}

const muldiv255 = (a: number, b: number): number => {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
};

/**
 * A1111's overlay: the original pasted into an empty RGBa canvas through `invert(mask_for_overlay)` and converted
 * to RGBA, i.e. the original colour with alpha 255 − mask (with Pillow's premultiply/unpremultiply rounding).
 */
export function overlayImage(orig: RgbImage, maskForOverlay: GrayImage): RgbaImage {
  const n = orig.width * orig.height;
  const out = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    const a = 255 - maskForOverlay.data[i]!;
    for (let c = 0; c < 3; c++) {
      const pm = muldiv255(orig.data[3 * i + c]!, a);
      out[4 * i + c] = a === 0 || a === 255 ? pm : Math.min(255, Math.floor((255 * pm) / a));
    }
    out[4 * i + 3] = a;
  }
  return { data: out, width: orig.width, height: orig.height };
}

/** Pillow `alpha_composite(dst, src)` (7 extra bits of precision, rounded divisions), returning RGB. */
export function alphaCompositeRgb(dst: RgbaImage, src: RgbaImage): RgbImage {
  const n = dst.width * dst.height;
  const out = new Uint8Array(3 * n);
  const P = 7;
  const div = (a: number): number => ((a >>> 8) + a) >>> 8;
  for (let i = 0; i < n; i++) {
    const sa = src.data[4 * i + 3]!;
    if (sa === 0) {
      for (let c = 0; c < 3; c++) out[3 * i + c] = dst.data[4 * i + c]!;
      continue;
    }
    const blend = dst.data[4 * i + 3]! * (255 - sa);
    const outa255 = sa * 255 + blend;
    const coef1 = Math.floor((sa * 255 * 255 * (1 << P)) / outa255);
    const coef2 = 255 * (1 << P) - coef1;
    for (let c = 0; c < 3; c++) {
      const t = src.data[4 * i + c]! * coef1 + dst.data[4 * i + c]! * coef2;
      out[3 * i + c] = div(t + (0x80 << P)) >>> P;
    }
  }
  return { data: out, width: dst.width, height: dst.height };
}

const opaque = (img: RgbImage): RgbaImage => {
  const n = img.width * img.height;
  const out = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    out[4 * i] = img.data[3 * i]!;
    out[4 * i + 1] = img.data[3 * i + 1]!;
    out[4 * i + 2] = img.data[3 * i + 2]!;
    out[4 * i + 3] = 255;
  }
  return { data: out, width: img.width, height: img.height };
};

/**
 * `uncrop`: the generated W×H image resized to the crop box with "crop and resize" and pasted at its place on a
 * transparent canvas the size of the original.
 */
export async function uncrop(gen: RgbImage, width: number, height: number, [x1, y1, x2, y2]: Box): Promise<RgbaImage> {
  const resized = await resizeForImg2Img(gen, 1, x2 - x1, y2 - y1);
  const out = new Uint8Array(4 * width * height);
  for (let y = Math.max(0, y1); y < Math.min(height, y2); y++) {
    for (let x = Math.max(0, x1); x < Math.min(width, x2); x++) {
      const s = ((y - y1) * resized.width + (x - x1)) * 3;
      const d = (y * width + x) * 4;
      out[d] = resized.data[s]!;
      out[d + 1] = resized.data[s + 1]!;
      out[d + 2] = resized.data[s + 2]!;
      out[d + 3] = 255;
    }
  }
  return { data: out, width, height };
}

/**
 * Beyond A1111: shift the generated colours towards the original's inside the blend band only (0 < mask < 255),
 * by a smooth local offset (normalised Gaussian average of original − generated over the band, radius
 * `radius`), full strength where the original still shows and fading to nothing where the mask is solid. The
 * fully generated area and everything outside the mask are left alone.
 */
export function matchBandColours(gen: RgbaImage, orig: RgbImage, maskForOverlay: GrayImage, radius = 16): RgbaImage {
  const { width: w, height: h } = orig;
  const n = w * h;
  const m = maskForOverlay.data;
  let any = false;
  for (let i = 0; i < n && !any; i++) any = m[i]! > 0 && m[i]! < 255;
  if (!any) return gen;
  const weight = new Float32Array(n);
  const diff = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    const v = m[i]!;
    if (v === 0 || v === 255 || gen.data[4 * i + 3] === 0) continue;
    const wt = (v * (255 - v)) / (127.5 * 127.5);
    weight[i] = wt;
    for (let c = 0; c < 3; c++) diff[c]![i] = wt * (orig.data[3 * i + c]! - gen.data[4 * i + c]!);
  }
  pilGaussianBlurPlanes([weight, ...diff], w, h, radius);
  const out = gen.data.slice();
  for (let i = 0; i < n; i++) {
    const v = m[i]!;
    if (v === 0 || v === 255 || weight[i]! < 1e-6) continue;
    const s = Math.min(1, (255 - v) / 127);
    for (let c = 0; c < 3; c++) out[4 * i + c] = Math.min(255, Math.max(0, Math.round(gen.data[4 * i + c]! + (s * diff[c]![i]!) / weight[i]!)));
  }
  return { data: out, width: gen.width, height: gen.height };
}

/**
 * Composite one generated image over the original (`apply_overlay`). `paste` is the only-masked crop box (the image is
 * first uncropped into it). Pixels where `maskForOverlay` is 0 come out byte-identical to `orig`.
 */
export async function compositeOverOriginal(gen: RgbImage, orig: RgbImage, maskForOverlay: GrayImage, paste: Box | undefined, colourMatch: boolean): Promise<RgbImage> {
  let canvas = paste ? await uncrop(gen, orig.width, orig.height, paste) : opaque(gen.width === orig.width && gen.height === orig.height ? gen : await resizeForImg2Img(gen, 0, orig.width, orig.height));
  if (colourMatch) canvas = matchBandColours(canvas, orig, maskForOverlay);
  return alphaCompositeRgb(canvas, overlayImage(orig, maskForOverlay));
}
