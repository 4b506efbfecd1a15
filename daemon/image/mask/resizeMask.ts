// A1111 `images.resize_image` for masks (mode "L": plain LANCZOS, no upscaler). Mode 3 falls into the
// resize-and-fill branch for masks, as in A1111.
import type { ResizeMode } from '../../protocol';
import { resizeGeometry } from '../resize';
import { blankGray, pasteGray, type GrayImage } from './gray';
import { pilResizeGray } from './pilResize';

/** Stretch row `sy` of `src` over rows [y0, y0+count) of `dst` (PIL resize of a zero-height box). */
function fillRows(dst: GrayImage, src: GrayImage, sy: number, y0: number, count: number): void {
  const row = src.data.subarray(sy * src.width, sy * src.width + Math.min(src.width, dst.width));
  for (let y = Math.max(0, y0); y < Math.min(dst.height, y0 + count); y++) dst.data.set(row, y * dst.width);
}

function fillCols(dst: GrayImage, src: GrayImage, sx: number, x0: number, count: number): void {
  for (let y = 0; y < dst.height; y++) {
    const v = src.data[Math.min(src.height - 1, y) * src.width + sx]!;
    for (let x = Math.max(0, x0); x < Math.min(dst.width, x0 + count); x++) dst.data[y * dst.width + x] = v;
  }
}

export function resizeMask(m: GrayImage, mode: ResizeMode, W: number, H: number): GrayImage {
  if (mode === 0) return pilResizeGray(m, W, H, 'lanczos');
  const geomMode = mode === 1 ? 1 : 2;
  const g = resizeGeometry(geomMode, m.width, m.height, W, H);
  const resized = pilResizeGray(m, g.srcW, g.srcH, 'lanczos');
  const canvas = pasteGray(blankGray(W, H), resized, g.x, g.y);
  if (geomMode === 2) {
    const ratio = W / H;
    const srcRatio = m.width / m.height;
    if (ratio < srcRatio) {
      const fill = Math.floor(H / 2) - Math.floor(g.srcH / 2);
      if (fill > 0) {
        fillRows(canvas, resized, 0, 0, fill);
        fillRows(canvas, resized, resized.height - 1, fill + g.srcH, fill);
      }
    } else if (ratio > srcRatio) {
      const fill = Math.floor(W / 2) - Math.floor(g.srcW / 2);
      if (fill > 0) {
        fillCols(canvas, resized, 0, 0, fill);
        fillCols(canvas, resized, resized.width - 1, fill + g.srcW, fill);
      }
    }
  }
  return canvas;
}
