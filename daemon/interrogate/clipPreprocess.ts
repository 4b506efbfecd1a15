// The image preprocessing of the interrogation networks, as their own code does it on a PIL image:
//   CLIP (clip.clip._transform(n_px); HF CLIPImageProcessor computes the same): Resize(n_px, BICUBIC) of the short
//   side (long side int(n_px · long / short)), CenterCrop(n_px) (offsets int(round((size − n_px) / 2)), Python's
//   round), ToTensor, Normalize(CLIP mean, std);
//   BLIP (A1111 InterrogateModels.generate_caption): Resize((384, 384), BICUBIC), ToTensor, the same Normalize.
// Results are NCHW float32 planes, computed in float32 as torchvision does.
import { cropRgb, pilResizeRgb } from '../image/pilResizeRgb';
import type { RgbImage } from '../image/rgbImage';

export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

/** Python's round(): halves to even. */
const roundHalfEven = (x: number): number => {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
};

/** ToTensor + Normalize(mean, std) of an RGB image → [3, H, W] float32. */
export function normalizePlanes(img: RgbImage, mean: readonly number[] = CLIP_MEAN, std: readonly number[] = CLIP_STD): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c]!);
    const s = Math.fround(std[c]!);
    for (let i = 0; i < n; i++) out[c * n + i] = Math.fround(Math.fround(img.data[3 * i + c]! / 255) - m) / s;
  }
  return out;
}

/**
 * clip._transform(size): the CLIP image encoder's input [3, size, size]. `crop: 'floor'` is HF CLIPImageProcessor's
 * centre crop ((size − n) // 2), which the aesthetic extension's CLIPProcessor uses; the rest is the same.
 */
export function clipPixels(img: RgbImage, size: number, crop: 'round' | 'floor' = 'round'): Float32Array {
  const short = Math.min(img.width, img.height);
  const long = Math.max(img.width, img.height);
  const other = Math.trunc((size * long) / short);
  const [w, h] = img.width <= img.height ? [size, other] : [other, size];
  const resized = pilResizeRgb(img, w, h, 'bicubic');
  const offset = (d: number): number => (crop === 'floor' ? Math.floor(d / 2) : roundHalfEven(d / 2));
  const top = offset(h - size);
  const left = offset(w - size);
  return normalizePlanes(cropRgb(resized, left, top, size, size));
}

/** BLIP's caption input [3, size, size]: a square bicubic resize (aspect not kept), CLIP's mean/std. */
export function blipPixels(img: RgbImage, size: number): Float32Array {
  return normalizePlanes(pilResizeRgb(img, size, size, 'bicubic'));
}
