// A1111's image grids (`modules/images.py: image_grid`): cells of the largest image's size on the grid
// background, each image centred in its cell, row-major; the number of rows from `n_rows` (-1: round(√n)).
import { pasteInto } from './paste';
import type { RgbImage } from './rgbImage';

/** A1111's default `grid_background_color` (#ffffff). */
export const GRID_BACKGROUND: readonly [number, number, number] = [255, 255, 255];

export function filledRgb(width: number, height: number, rgb: readonly [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = rgb[0];
    data[i + 1] = rgb[1];
    data[i + 2] = rgb[2];
  }
  return { data, width, height };
}

/** `image_grid(imgs, rows=rows)`; without rows, A1111's default `n_rows = -1`: round(√n). */
export function imageGrid(imgs: readonly RgbImage[], rows?: number): RgbImage {
  if (imgs.length === 0) throw new Error('a grid needs at least one image');
  let r = rows ?? Math.round(Math.sqrt(imgs.length));
  r = Math.max(1, Math.min(r, imgs.length));
  const cols = Math.ceil(imgs.length / r);
  const w = Math.max(...imgs.map((i) => i.width));
  const h = Math.max(...imgs.map((i) => i.height));
  const grid = filledRgb(cols * w, r * h, GRID_BACKGROUND);
  imgs.forEach((img, i) => {
    const ox = img.width === w ? 0 : Math.floor((w - img.width) / 2);
    const oy = img.height === h ? 0 : Math.floor((h - img.height) / 2);
    pasteInto(grid, img, (i % cols) * w + ox, Math.floor(i / cols) * h + oy, 3);
  });
  return grid;
}
