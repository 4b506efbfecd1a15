// "Only masked" geometry (A1111 `modules/masking.py: get_crop_region_v2, expand_crop_region`): crop box from the
// blurred mask plus padding, expanded to the processing aspect ratio, and where the processed W×H image goes back.
import type { Box, GrayImage } from './gray';

/** PIL `getbbox()`: the box of non-zero pixels, or undefined for an all-black mask. */
export function maskBBox(m: GrayImage): Box | undefined {
  let x1 = m.width;
  let y1 = m.height;
  let x2 = -1;
  let y2 = -1;
  for (let y = 0; y < m.height; y++) {
    const row = y * m.width;
    for (let x = 0; x < m.width; x++) {
      if (m.data[row + x] !== 0) {
        if (x < x1) x1 = x;
        if (x > x2) x2 = x;
        if (y < y1) y1 = y;
        y2 = y;
      }
    }
  }
  return x2 < 0 ? undefined : [x1, y1, x2 + 1, y2 + 1];
}

/** `get_crop_region_v2(mask, pad)`: the bbox grown by `pad` on every side and clamped to the image. */
export function cropRegion(m: GrayImage, pad: number): Box | undefined {
  const box = maskBBox(m);
  if (!box || !pad) return box;
  const [x1, y1, x2, y2] = box;
  return [Math.max(x1 - pad, 0), Math.max(y1 - pad, 0), Math.min(x2 + pad, m.width), Math.min(y2 + pad, m.height)];
}

const pyFloorDiv = (a: number, b: number): number => Math.floor(a / b);

/** One axis of `expand_crop_region`: grow [a1, a2) by `diff`, then shift/clamp into [0, size]. */
function growAxis(a1: number, a2: number, diff: number, size: number): [number, number] {
  a1 -= pyFloorDiv(diff, 2);
  a2 += diff - pyFloorDiv(diff, 2);
  if (a2 >= size) {
    const d = a2 - size;
    a2 -= d;
    a1 -= d;
  }
  if (a1 < 0) {
    a2 -= a1;
    a1 = 0;
  }
  if (a2 >= size) a2 = size;
  return [a1, a2];
}

/**
 * `masking.expand_crop_region(region, W, H, img_w, img_h)`: widen the shorter side of the crop so it has the
 * processing aspect W/H, keeping it inside the image (the aspect is given up only when the image is too small).
 */
export function expandCropRegion([x1, y1, x2, y2]: Box, W: number, H: number, imgW: number, imgH: number): Box {
  const ratioCrop = (x2 - x1) / (y2 - y1);
  const ratioProc = W / H;
  if (ratioCrop > ratioProc) {
    const desiredH = (x2 - x1) / ratioProc;
    const diff = Math.trunc(desiredH - (y2 - y1));
    [y1, y2] = growAxis(y1, y2, diff, imgH);
  } else {
    const desiredW = (y2 - y1) * ratioProc;
    const diff = Math.trunc(desiredW - (x2 - x1));
    [x1, x2] = growAxis(x1, x2, diff, imgW);
  }
  return [x1, y1, x2, y2];
}

/** The whole only-masked region, or undefined when the mask is blank (A1111 then drops to plain img2img). */
export function onlyMaskedRegion(blurred: GrayImage, padding: number, W: number, H: number): Box | undefined {
  const r = cropRegion(blurred, padding);
  return r && expandCropRegion(r, W, H, blurred.width, blurred.height);
}
