// Pillow's `Image.resize` of an RGB image: the same separable fixed-point filter on each band (libImaging
// resamples every band with the same coefficients and 8-bit clipping), so it is the one-channel resize three times.
import { pilResizeGray, type PilFilter } from './mask/pilResize';
import type { RgbImage } from './rgbImage';

export function pilResizeRgb(img: RgbImage, width: number, height: number, filter: PilFilter): RgbImage {
  if (img.width === width && img.height === height) return { data: img.data.slice(), width, height };
  const n = img.width * img.height;
  const out = new Uint8Array(width * height * 3);
  for (let c = 0; c < 3; c++) {
    const band = new Uint8Array(n);
    for (let i = 0; i < n; i++) band[i] = img.data[3 * i + c]!;
    const r = pilResizeGray({ data: band, width: img.width, height: img.height }, width, height, filter);
    for (let i = 0; i < width * height; i++) out[3 * i + c] = r.data[i]!;
  }
  return { data: out, width, height };
}

/** Rows/cols [top, top + h) × [left, left + w) of an RGB image (inside it). */
export function cropRgb(img: RgbImage, left: number, top: number, w: number, h: number): RgbImage {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(((top + y) * img.width + left) * 3, ((top + y) * img.width + left + w) * 3), y * w * 3);
  return { data: out, width: w, height: h };
}
