// One-channel 8-bit images (masks, as PIL mode "L") and the few pixel moves the inpaint stages need.
import { pasteInto } from '../paste';
import type { RgbImage } from '../rgbImage';

export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** (x1, y1, x2, y2), right/bottom exclusive, as PIL boxes. */
export type Box = [number, number, number, number];

export const blankGray = (width: number, height: number, value = 0): GrayImage => ({ data: new Uint8Array(width * height).fill(value), width, height });

/** PIL `convert('L')` of RGB: ITU-R 601-2 luma in 16-bit fixed point. */
export function rgbToGray(img: RgbImage): GrayImage {
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const s = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = (s[j]! * 19595 + s[j + 1]! * 38470 + s[j + 2]! * 7471 + 0x8000) >>> 16;
  return { data: out, width: img.width, height: img.height };
}

/** The mask as an RGB image (grey on all three channels). */
export function grayToRgb(m: GrayImage): RgbImage {
  const out = new Uint8Array(m.data.length * 3);
  for (let i = 0; i < m.data.length; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = m.data[i]!;
  return { data: out, width: m.width, height: m.height };
}

/** PIL `crop(box)` (the box may reach outside: those pixels are 0). */
export function cropGray(m: GrayImage, [x1, y1, x2, y2]: Box): GrayImage {
  const out = blankGray(x2 - x1, y2 - y1);
  for (let y = Math.max(0, y1); y < Math.min(m.height, y2); y++) {
    for (let x = Math.max(0, x1); x < Math.min(m.width, x2); x++) out.data[(y - y1) * out.width + x - x1] = m.data[y * m.width + x]!;
  }
  return out;
}

export function cropRgb(img: RgbImage, [x1, y1, x2, y2]: Box): RgbImage {
  const w = x2 - x1;
  const out: RgbImage = { data: new Uint8Array(w * (y2 - y1) * 3), width: w, height: y2 - y1 };
  for (let y = Math.max(0, y1); y < Math.min(img.height, y2); y++) {
    for (let x = Math.max(0, x1); x < Math.min(img.width, x2); x++) {
      const s = (y * img.width + x) * 3;
      const d = ((y - y1) * w + x - x1) * 3;
      out.data[d] = img.data[s]!;
      out.data[d + 1] = img.data[s + 1]!;
      out.data[d + 2] = img.data[s + 2]!;
    }
  }
  return out;
}

/** PIL `paste(src, (x, y))` onto a copy of `dst`, clipped at the edges. */
export function pasteRgb(dst: RgbImage, src: RgbImage, x0: number, y0: number): RgbImage {
  const out: RgbImage = { data: dst.data.slice(), width: dst.width, height: dst.height };
  pasteInto(out, src, x0, y0, 3);
  return out;
}

export function pasteGray(dst: GrayImage, src: GrayImage, x0: number, y0: number): GrayImage {
  const out: GrayImage = { data: dst.data.slice(), width: dst.width, height: dst.height };
  pasteInto(out, src, x0, y0, 1);
  return out;
}

/** `ImageOps.invert`. */
export function invertGray(m: GrayImage): GrayImage {
  const out = new Uint8Array(m.data.length);
  for (let i = 0; i < out.length; i++) out[i] = 255 - m.data[i]!;
  return { data: out, width: m.width, height: m.height };
}

/** `np.clip(mask * 2, 0, 255)`: Whole picture's overlay mask (≥ 50 % counts as fully generated). */
export function doubleGray(m: GrayImage): GrayImage {
  const out = new Uint8Array(m.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, m.data[i]! * 2);
  return { data: out, width: m.width, height: m.height };
}

/** Pixel-wise minimum of two masks of one size. */
export function minGray(a: GrayImage, b: GrayImage): GrayImage {
  const out = new Uint8Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(a.data[i]!, b.data[i]!);
  return { data: out, width: a.width, height: a.height };
}
