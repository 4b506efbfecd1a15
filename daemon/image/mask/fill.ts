// Masked content "fill" (A1111 `modules/masking.py: fill`): the holes of the mask are filled from the
// surrounding colours before encoding.
import type { RgbImage } from '../rgbImage';
import { pilGaussianBlurPlanes } from './blur';
import type { GrayImage } from './gray';

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
