// Outpainting canvases and masks (A1111 `scripts/poor_mans_outpainting.py`, `scripts/outpainting_mk_2.py`): the image
// grown on some sides, and a mask that is white over the new area. Everything after that is inpainting.
import type { RgbImage } from './rgbImage';
import { createRng, type RngSource } from '../sampling';
import { blankGray, pasteRgb, type GrayImage } from './mask/gray';
import { fillMasked } from './mask/fill';
import { resizeForImg2Img, resizeGeometry } from './resize';

export type Direction = 'left' | 'right' | 'up' | 'down';

export interface OutpaintCanvas {
  image: RgbImage;
  mask: GrayImage;
  /** Where the source sits on the canvas. */
  x: number;
  y: number;
}

/** The per-side growth of Poor man's outpainting: total rounded up to 64 and split in proportion
 * (`poor_mans_outpainting.py: Script.run`). */
export function expansion(w: number, h: number, pixels: number, dirs: Direction[]): { left: number; right: number; up: number; down: number; width: number; height: number } {
  let left = dirs.includes('left') ? pixels : 0;
  let right = dirs.includes('right') ? pixels : 0;
  let up = dirs.includes('up') ? pixels : 0;
  let down = dirs.includes('down') ? pixels : 0;
  const width = Math.ceil((w + left + right) / 64) * 64;
  const height = Math.ceil((h + up + down) / 64) * 64;
  if (left > 0) left = Math.floor((left * (width - w)) / (left + right));
  if (right > 0) right = width - w - left;
  if (up > 0) up = Math.floor((up * (height - h)) / (up + down));
  if (down > 0) down = height - h - up;
  return { left, right, up, down, width, height };
}

/** White canvas with a black rectangle (PIL `ImageDraw.rectangle`, both corners inclusive). */
function rectMask(width: number, height: number, x0: number, y0: number, x1: number, y1: number): GrayImage {
  const m = blankGray(width, height, 255);
  for (let y = Math.max(0, y0); y <= Math.min(height - 1, y1); y++) m.data.fill(0, y * width + Math.max(0, x0), y * width + Math.min(width - 1, x1) + 1);
  return m;
}

/**
 * Poor man's outpainting canvas: the source pasted on black, the mask white except over the source inset by
 * `inset` (2·blur in A1111) on the expanded sides.
 */
export function poorMansCanvas(src: RgbImage, pixels: number, dirs: Direction[], inset: number): OutpaintCanvas {
  const e = expansion(src.width, src.height, pixels, dirs);
  const image = pasteRgb({ data: new Uint8Array(e.width * e.height * 3), width: e.width, height: e.height }, src, e.left, e.up);
  const mask = rectMask(e.width, e.height, e.left + (e.left > 0 ? inset : 0), e.up + (e.up > 0 ? inset : 0), e.width - e.right - (e.right > 0 ? inset : 0), e.height - e.down - (e.down > 0 ? inset : 0));
  return { image, mask, x: e.left, y: e.up };
}

/**
 * Outpainting mk2's starting canvas, all directions at once: the new area filled with the blurred surrounding
 * colour (masked content "fill") plus seeded noise of `colorVariation`, the mask inset by `inset` (= blur).
 * A deliberate deviation: A1111 fills with FFT-shaped "matched noise" (`scripts/outpainting_mk_2.py:
 * get_matched_noise`) and grows one direction at a time.
 */
export function mk2Canvas(src: RgbImage, pixels: number, dirs: Direction[], inset: number, colorVariation: number, seed: bigint, source: RngSource): OutpaintCanvas {
  const c = poorMansCanvas(src, pixels, dirs, inset);
  const hole = rectMask(c.image.width, c.image.height, c.x, c.y, c.x + src.width - 1, c.y + src.height - 1);
  const filled = fillMasked(c.image, hole);
  const noise = createRng(source, seed).randn([filled.width * filled.height]);
  for (let i = 0; i < hole.data.length; i++) {
    if (!hole.data[i]) continue;
    const n = noise[i]! * colorVariation * 255;
    for (let k = 0; k < 3; k++) filled.data[3 * i + k] = Math.min(255, Math.max(0, Math.round(filled.data[3 * i + k]! + n)));
  }
  return { image: filled, mask: c.mask, x: c.x, y: c.y };
}

/** "Resize and fill" as an outpaint: the source fitted into W×H (bars from its edge pixels); the bars are the mask. */
export async function resizeAndFillCanvas(src: RgbImage, W: number, H: number): Promise<OutpaintCanvas> {
  const image = await resizeForImg2Img(src, 2, W, H);
  const g = resizeGeometry(2, src.width, src.height, W, H);
  const mask = rectMask(W, H, g.x, g.y, g.x + g.srcW - 1, g.y + g.srcH - 1);
  return { image, mask, x: g.x, y: g.y };
}
