// The Extras upscale step exactly as A1111 orders it (`scripts/postprocessing_upscale.py:
// ScriptPostprocessingUpscale`): scale by / scale to (+ max side length),
// up to three native passes then Lanczos to a size floored to a multiple of 8, crop-to-fit by centred paste on
// black, and upscaler 2 run on the same source and blended in. Infotext entries are appended in A1111's order.
import type { InfotextValue } from '../infotext/a1111';
import { resizeRgb } from '../image/encode';
import type { RgbImage } from '../image/rgbImage';
import sharp from 'sharp';

/** One upscaler: a native pass at `scale` (models ignore it and use their own scale, as A1111's do_upscale). */
export interface UpscalerStep {
  name: string;
  /** None: A1111 skips the upscale entirely when upscaler 1 is None. */
  isNone: boolean;
  pass(img: RgbImage, scale: number): Promise<RgbImage>;
}

export interface UpscaleSettings {
  mode: 'by' | 'to';
  scaleBy: number;
  width: number;
  height: number;
  crop: boolean;
  maxSideLength: number;
}

export type InfoEntries = Array<[string, InfotextValue]>;

/** `modules/upscaler.py: Upscaler.upscale`. */
export async function upscaleBy(img: RgbImage, up: UpscalerStep, scale: number, interrupted: () => boolean = () => false): Promise<RgbImage> {
  const destW = Math.floor((img.width * scale) / 8) * 8;
  const destH = Math.floor((img.height * scale) / 8) * 8;
  let cur = img;
  for (let i = 0; i < 3; i++) {
    if (cur.width >= destW && cur.height >= destH && (i > 0 || scale !== 1)) break;
    if (interrupted()) break;
    const before = [cur.width, cur.height];
    cur = await up.pass(cur, scale);
    if (before[0] === cur.width && before[1] === cur.height) break;
  }
  return cur.width !== destW || cur.height !== destH ? resizeRgb(cur, destW, destH) : cur;
}

/**
 * `images.resize_image(0, im, W, H, upscaler_name)`: no upscaler (or None) is a Lanczos resize; otherwise, when
 * the image must grow, the upscaler runs at max(W/w, H/h) and a Lanczos resize gives the exact size.
 */
export async function resizeWithUpscaler(img: RgbImage, W: number, H: number, up: UpscalerStep | undefined, interrupted?: () => boolean): Promise<RgbImage> {
  let cur = img;
  if (up && !up.isNone) {
    const scale = Math.max(W / img.width, H / img.height);
    if (scale > 1) cur = await upscaleBy(img, up, scale, interrupted);
  }
  return cur.width !== W || cur.height !== H ? resizeRgb(cur, W, H) : cur;
}

/** `limit_size_by_one_dimention`: the longer side becomes the limit, the other is floor-divided. */
export function limitSizeByOneDimension(w: number, h: number, limit: number): [number, number] {
  if (h > w && h > limit) return [Math.trunc(Math.floor((limit * w) / h)), limit];
  if (w > limit) return [limit, Math.trunc(Math.floor((limit * h) / w))];
  return [Math.trunc(w), Math.trunc(h)];
}

/** Centred paste on a black W×H canvas at (W//2 − iw//2, H//2 − ih//2), clipping what falls outside. */
export function cropToFit(img: RgbImage, W: number, H: number): RgbImage {
  const out = new Uint8Array(W * H * 3);
  const ox = Math.floor(W / 2) - Math.floor(img.width / 2);
  const oy = Math.floor(H / 2) - Math.floor(img.height / 2);
  for (let y = Math.max(0, oy); y < Math.min(H, oy + img.height); y++) {
    const x0 = Math.max(0, ox);
    const x1 = Math.min(W, ox + img.width);
    if (x1 <= x0) continue;
    const src = ((y - oy) * img.width + (x0 - ox)) * 3;
    out.set(img.data.subarray(src, src + (x1 - x0) * 3), (y * W + x0) * 3);
  }
  return { data: out, width: W, height: H };
}

/** PIL Image.blend: im1 + v·(im2 − im1), truncated to an integer as PIL's C loop does. */
export function blendImages(a: RgbImage, b: RgbImage, v: number): RgbImage {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`cannot blend ${a.width}×${a.height} with ${b.width}×${b.height}`);
  const out = new Uint8Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const x = Math.trunc(a.data[i]! + v * (b.data[i]! - a.data[i]!));
    out[i] = x < 0 ? 0 : x > 255 ? 255 : x;
  }
  return { data: out, width: a.width, height: a.height };
}

/** `ScriptPostprocessingUpscale.upscale`: one upscaler, with the mode/size logic and the crop. */
async function upscaleOne(img: RgbImage, up: UpscalerStep, s: UpscaleSettings, info: Map<string, InfotextValue>, interrupted: () => boolean): Promise<RgbImage> {
  let { mode, crop, width, height, scaleBy } = s;
  if (mode === 'to') {
    scaleBy = Math.max(width / img.width, height / img.height);
    info.set('Postprocess upscale to', `${width}x${height}`);
  } else {
    info.set('Postprocess upscale by', scaleBy);
    if (s.maxSideLength !== 0 && Math.max(img.width, img.height) * scaleBy > s.maxSideLength) {
      mode = 'to';
      crop = false;
      [width, height] = limitSizeByOneDimension(img.width * scaleBy, img.height * scaleBy, s.maxSideLength);
      scaleBy = Math.max(width / img.width, height / img.height);
      info.set('Max side length', s.maxSideLength);
    }
  }
  let out = await upscaleBy(img, up, scaleBy, interrupted);
  if (mode === 'to' && crop) {
    out = cropToFit(out, width, height);
    info.set('Postprocess crop to', `${out.width}x${out.height}`);
  }
  return out;
}

/**
 * `ScriptPostprocessingUpscale.process`: upscaler 1 (None → nothing at all), then upscaler 2 on the same source
 * when its visibility is > 0, blended. Appends A1111's "Postprocess …" entries to `info` in its order.
 */
export async function upscaleStage(
  img: RgbImage,
  up1: UpscalerStep,
  up2: UpscalerStep | undefined,
  visibility2: number,
  s: UpscaleSettings,
  info: Map<string, InfotextValue>,
  interrupted: () => boolean = () => false,
): Promise<RgbImage> {
  if (up1.isNone) return img;
  let out = await upscaleOne(img, up1, s, info, interrupted);
  info.set('Postprocess upscaler', up1.name);
  if (up2 && !up2.isNone && visibility2 > 0) {
    const second = await upscaleOne(img, up2, s, info, interrupted);
    out = blendImages(out, second, visibility2);
    info.set('Postprocess upscaler 2', up2.name);
  }
  return out;
}

/** PIL-style resize passes for the Lanczos and Nearest upscalers: (int(w·scale), int(h·scale)). */
export async function resizePass(img: RgbImage, scale: number, kernel: 'lanczos3' | 'nearest'): Promise<RgbImage> {
  const w = Math.trunc(img.width * scale);
  const h = Math.trunc(img.height * scale);
  if (kernel === 'lanczos3') return resizeRgb(img, w, h);
  const { data, info } = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(w, h, { fit: 'fill', kernel: 'nearest' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}
