import { resizeRgb } from './encode';
import { interpolate } from './interpolate';
import { pasteInto } from './paste';
import { blankRgb, type RgbImage } from './rgbImage';
import type { ResizeMode } from '../protocol';

/** Size of the resized source and where it is pasted on the W×H canvas (offsets may be negative = crop). */
export interface ResizeGeometry {
  srcW: number;
  srcH: number;
  x: number;
  y: number;
}

const floorDiv = (a: number, b: number): number => Math.floor(a / b);

/** A1111 `resize_image` geometry for modes 1 (crop and resize) and 2 (resize and fill). */
export function resizeGeometry(mode: 1 | 2, w: number, h: number, W: number, H: number): ResizeGeometry {
  const ratio = W / H;
  const srcRatio = w / h;
  const fitWidth = mode === 1 ? ratio > srcRatio : ratio < srcRatio;
  const srcW = fitWidth ? W : floorDiv(w * H, h);
  const srcH = fitWidth ? floorDiv(h * W, w) : H;
  return { srcW, srcH, x: floorDiv(W, 2) - floorDiv(srcW, 2), y: floorDiv(H, 2) - floorDiv(srcH, 2) };
}

/** Stretch one row (or column) of `img` over a band of the canvas: A1111 fills the bars with the edge pixels. */
function fillRows(dst: RgbImage, img: RgbImage, srcRow: number, y0: number, count: number): void {
  const row = img.data.subarray(srcRow * img.width * 3, (srcRow + 1) * img.width * 3);
  for (let y = y0; y < Math.min(dst.height, y0 + count); y++) if (y >= 0) dst.data.set(row.subarray(0, dst.width * 3), y * dst.width * 3);
}

function fillCols(dst: RgbImage, img: RgbImage, srcCol: number, x0: number, count: number): void {
  for (let y = 0; y < dst.height; y++) {
    const sy = Math.min(img.height - 1, y);
    const s = (sy * img.width + srcCol) * 3;
    for (let x = Math.max(0, x0); x < Math.min(dst.width, x0 + count); x++) {
      const d = (y * dst.width + x) * 3;
      dst.data[d] = img.data[s]!;
      dst.data[d + 1] = img.data[s + 1]!;
      dst.data[d + 2] = img.data[s + 2]!;
    }
  }
}

/**
 * A1111's four resize modes (`modules/images.py: resize_image`). Mode 3 (latent upscale) leaves the pixels alone: the
 * latent is resized after encoding instead.
 */
export async function resizeForImg2Img(img: RgbImage, mode: ResizeMode, W: number, H: number): Promise<RgbImage> {
  if (mode === 3) return img;
  if (mode === 0) return resizeRgb(img, W, H);
  const g = resizeGeometry(mode, img.width, img.height, W, H);
  const resized = await resizeRgb(img, g.srcW, g.srcH);
  const canvas = blankRgb(W, H);
  pasteInto(canvas, resized, g.x, g.y, 3);
  if (mode === 2) {
    const ratio = W / H;
    const srcRatio = img.width / img.height;
    if (ratio < srcRatio) {
      const fill = floorDiv(H, 2) - floorDiv(g.srcH, 2);
      if (fill > 0) {
        fillRows(canvas, resized, 0, 0, fill);
        fillRows(canvas, resized, resized.height - 1, fill + g.srcH, fill);
      }
    } else if (ratio > srcRatio) {
      const fill = floorDiv(W, 2) - floorDiv(g.srcW, 2);
      if (fill > 0) {
        fillCols(canvas, resized, 0, 0, fill);
        fillCols(canvas, resized, resized.width - 1, fill + g.srcW, fill);
      }
    }
  }
  return canvas;
}

/** torch `interpolate(mode="bilinear", align_corners=False)` per channel: the latent-upscale resize of mode 3. */
export const resizeLatentBilinear = (src: Float32Array, c: number, h: number, w: number, H: number, W: number): Float32Array =>
  interpolate(src, c, h, w, H, W, 'bilinear');
