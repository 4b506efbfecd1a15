// Masked content (reference §2.3): what the masked area starts from. "fill" works on pixels before encoding;
// "latent noise" and "latent nothing" on the encoded latent; "original" leaves both alone.
import type { RgbImage } from '../image/rgbImage';
import { pilGaussianBlurPlanes } from './mask/blur';
import type { GrayImage } from './mask/gray';

/** A1111 `inpainting_fill`: 0 fill, 1 original, 2 latent noise, 3 latent nothing. */
export type InpaintingFill = 0 | 1 | 2 | 3;
export const MASKED_CONTENT_NAMES = ['fill', 'original', 'latent noise', 'latent nothing'] as const;

const FILL_PASSES: Array<[radius: number, repeats: number]> = [[256, 1], [64, 1], [16, 2], [4, 4], [2, 2], [0, 1]];

/**
 * `masking.fill(image, mask)`: the holes (mask white) are filled with progressively sharper blurs of the
 * surrounding colour, alpha-composited over each other; unmasked pixels come back as they were.
 */
export function fillMasked(img: RgbImage, mask: GrayImage): RgbImage {
  const { width: w, height: h } = img;
  const n = w * h;
  // Premultiplied planes of the original with alpha = 1 − mask.
  const base = [new Float32Array(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    const a = 1 - mask.data[i]! / 255;
    base[3]![i] = a;
    for (let c = 0; c < 3; c++) base[c]![i] = (img.data[3 * i + c]! / 255) * a;
  }
  const canvas = [new Float32Array(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (const [radius, repeats] of FILL_PASSES) {
    const planes = base.map((p) => p.slice());
    pilGaussianBlurPlanes(planes, w, h, radius);
    for (let rep = 0; rep < repeats; rep++) {
      for (let i = 0; i < n; i++) {
        const sa = planes[3]![i]!;
        if (sa <= 1e-6) continue;
        const da = canvas[3]![i]!;
        const oa = sa + da * (1 - sa);
        for (let c = 0; c < 3; c++) {
          const s = planes[c]![i]! / sa; // un-premultiplied blurred colour
          canvas[c]![i] = (s * sa + canvas[c]![i]! * da * (1 - sa)) / oa;
        }
        canvas[3]![i] = oa;
      }
    }
  }
  const out = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    const exact = mask.data[i] === 0;
    for (let c = 0; c < 3; c++) out[3 * i + c] = exact ? img.data[3 * i + c]! : Math.min(255, Math.max(0, Math.round(canvas[c]![i]! * 255)));
  }
  return { data: out, width: w, height: h };
}

/**
 * Latent masked content, one image: "latent noise" = init·(1 − m) + noise·m, "latent nothing" = init·(1 − m).
 * `latmask` is h×w (1 = generate), broadcast over the 4 channels. Returns a new array.
 */
export function applyLatentContent(fill: InpaintingFill, init: Float32Array, latmask: Float32Array, noise?: Float32Array): Float32Array {
  const out = init.slice();
  if (fill !== 2 && fill !== 3) return out;
  const plane = latmask.length;
  for (let k = 0; k < out.length; k++) {
    const m = latmask[k % plane]!;
    out[k] = out[k]! * (1 - m) + (fill === 2 ? noise![k]! * m : 0);
  }
  return out;
}

/** A1111 `initial_noise_multiplier` (img2img only): the starting noise scaled, in place. */
export function scaleInitialNoise(noise: Float32Array, multiplier: number): Float32Array {
  if (multiplier !== 1) for (let k = 0; k < noise.length; k++) noise[k]! *= multiplier;
  return noise;
}
