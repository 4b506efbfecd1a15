// A1111's img2img colour correction (`processing.py: setup_color_correction`, `apply_color_correction`): the
// generated image's CIE LAB channels histogram-matched to the init image's (OpenCV 8-bit LAB, skimage's
// `match_histograms` on uint8), back to RGB, then blended in "luminosity" mode (blendmodes): the matched image's
// hue and saturation with the generated image's luminosity.
import type { RgbImage } from './rgbImage';

const srgbToLinear = (c: number): number => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const linearToSrgb = (c: number): number => (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);
const clamp8 = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

// D65 white, as OpenCV's RGB2Lab.
const XN = 0.950456;
const ZN = 1.088754;
const f = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
const fInv = (t: number): number => (t > 0.206893 ? t * t * t : (t - 16 / 116) / 7.787);

/** `cv2.cvtColor(rgb, COLOR_RGB2LAB)` for 8-bit images: L·255/100, a + 128, b + 128, interleaved. */
export function rgbToLab8(img: RgbImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  const lin = new Float64Array(256).map((_, i) => srgbToLinear(i / 255));
  for (let i = 0; i < out.length; i += 3) {
    const r = lin[img.data[i]!]!, g = lin[img.data[i + 1]!]!, b = lin[img.data[i + 2]!]!;
    const x = (0.412453 * r + 0.35758 * g + 0.180423 * b) / XN;
    const y = 0.212671 * r + 0.71516 * g + 0.072169 * b;
    const z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / ZN;
    const fy = f(y);
    const L = y > 0.008856 ? 116 * fy - 16 : 903.3 * y;
    out[i] = clamp8((L * 255) / 100);
    out[i + 1] = clamp8(500 * (f(x) - fy) + 128);
    out[i + 2] = clamp8(200 * (fy - f(z)) + 128);
  }
  return out;
}

/** `cv2.cvtColor(lab, COLOR_LAB2RGB)` for 8-bit images. */
export function lab8ToRgb(lab: Uint8Array, width: number, height: number): RgbImage {
  const out = new Uint8Array(lab.length);
  for (let i = 0; i < lab.length; i += 3) {
    const L = (lab[i]! * 100) / 255;
    const fy = (L + 16) / 116;
    const fx = fy + (lab[i + 1]! - 128) / 500;
    const fz = fy - (lab[i + 2]! - 128) / 200;
    const y = L > 7.9996 ? fy * fy * fy : L / 903.3;
    const x = fInv(fx) * XN;
    const z = fInv(fz) * ZN;
    const r = 3.240479 * x - 1.53715 * y - 0.498535 * z;
    const g = -0.969256 * x + 1.875991 * y + 0.041556 * z;
    const b = 0.055648 * x - 0.204043 * y + 1.057311 * z;
    out[i] = clamp8(linearToSrgb(Math.min(1, Math.max(0, r))) * 255);
    out[i + 1] = clamp8(linearToSrgb(Math.min(1, Math.max(0, g))) * 255);
    out[i + 2] = clamp8(linearToSrgb(Math.min(1, Math.max(0, b))) * 255);
  }
  return { data: out, width, height };
}

/**
 * skimage `match_histograms(source, reference, channel_axis=2)` on uint8 interleaved channels: each value goes to
 * the reference value at the same quantile (np.interp), written back into uint8 (truncated, as numpy assigns).
 */
export function matchHistograms(source: Uint8Array, reference: Uint8Array, channels = 3): Uint8Array {
  const out = new Uint8Array(source.length);
  const nSrc = source.length / channels;
  const nRef = reference.length / channels;
  for (let c = 0; c < channels; c++) {
    const srcCounts = new Float64Array(256);
    const refCounts = new Float64Array(256);
    for (let i = c; i < source.length; i += channels) srcCounts[source[i]!]!++;
    for (let i = c; i < reference.length; i += channels) refCounts[reference[i]!]!++;
    const refValues: number[] = [];
    const refQuantiles: number[] = [];
    let acc = 0;
    for (let v = 0; v < 256; v++) {
      if (refCounts[v] === 0) continue;
      acc += refCounts[v]!;
      refValues.push(v);
      refQuantiles.push(acc / nRef);
    }
    const lookup = new Float64Array(256);
    acc = 0;
    for (let v = 0; v < 256; v++) {
      acc += srcCounts[v]!;
      lookup[v] = interp(acc / nSrc, refQuantiles, refValues);
    }
    for (let i = c; i < source.length; i += channels) out[i] = Math.trunc(lookup[source[i]!]!);
  }
  return out;
}

/** numpy.interp: piecewise linear, clamped to the end values outside `xs`. */
function interp(x: number, xs: number[], ys: number[]): number {
  if (x <= xs[0]!) return ys[0]!;
  const last = xs.length - 1;
  if (x >= xs[last]!) return ys[last]!;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  return ys[lo]! + ((ys[hi]! - ys[lo]!) * (x - xs[lo]!)) / (xs[hi]! - xs[lo]!);
}

const lum = (r: number, g: number, b: number): number => 0.299 * r + 0.587 * g + 0.114 * b;

/** blendmodes' LUMINOSITY: W3C SetLum(background colour, Lum(foreground)) with its clip to [0, 1]. */
export function luminosityBlend(background: RgbImage, foreground: RgbImage): RgbImage {
  const out = new Uint8Array(background.data.length);
  for (let i = 0; i < out.length; i += 3) {
    let r = background.data[i]! / 255, g = background.data[i + 1]! / 255, b = background.data[i + 2]! / 255;
    const d = lum(foreground.data[i]! / 255, foreground.data[i + 1]! / 255, foreground.data[i + 2]! / 255) - lum(r, g, b);
    r += d; g += d; b += d;
    const l = lum(r, g, b);
    const mn = Math.min(r, g, b);
    const mx = Math.max(r, g, b);
    if (mn < 0) [r, g, b] = [r, g, b].map((c) => l + ((c - l) * l) / (l - mn)) as [number, number, number];
    if (mx > 1) [r, g, b] = [r, g, b].map((c) => l + ((c - l) * (1 - l)) / (mx - l)) as [number, number, number];
    out[i] = clamp8(r * 255);
    out[i + 1] = clamp8(g * 255);
    out[i + 2] = clamp8(b * 255);
  }
  return { data: out, width: background.width, height: background.height };
}

/** `setup_color_correction`: the reference kept from an init image (after its resize). */
export const colorCorrectionReference = (init: RgbImage): Uint8Array => rgbToLab8(init);

/** `apply_color_correction(correction, image)`. */
export function applyColorCorrection(reference: Uint8Array, image: RgbImage): RgbImage {
  const matched = lab8ToRgb(matchHistograms(rgbToLab8(image), reference), image.width, image.height);
  return luminosityBlend(matched, image);
}
