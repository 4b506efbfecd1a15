// Outpainting (A1111's `scripts/poor_mans_outpainting.py` and `scripts/outpainting_mk_2.py`): build the grown canvas
// and its mask (image/outpaint.ts), then run the same img2img-with-mask pipeline on it.
import { invalidParam } from '../errors';
import { loadImage } from '../image/decode';
import { encodePng } from '../image/encode';
import type { JobContext } from '../jobs';
import type { GenerationResult, Img2ImgParams, OutpaintParams } from '../protocol';
import { grayToRgb } from '../image/mask/gray';
import { mk2Canvas, poorMansCanvas, resizeAndFillCanvas, type Direction, type OutpaintCanvas } from '../image/outpaint';
import { resolveSeed } from '../validate';
import { seedJson } from '../seed';
import { runImg2Img, type PipelineDeps } from './img2img';

const DIRECTIONS: Direction[] = ['left', 'right', 'up', 'down'];
const dataUrl = (png: Uint8Array): string => `data:image/png;base64,${Buffer.from(png).toString('base64')}`;

export async function runOutpaint(raw: OutpaintParams, job: JobContext, deps: PipelineDeps): Promise<GenerationResult> {
  const { outpaint_method: method = 'poor-man', pixels = 128, directions = DIRECTIONS, outpaint_mask_blur, noise_q: _noiseQ, color_variation = 0.05, ...rest } = raw;
  if (!['mk2', 'poor-man', 'resize-and-fill'].includes(method)) throw invalidParam('outpaint_method', `unknown method "${String(method)}"`, 'mk2, poor-man or resize-and-fill');
  if (!Number.isInteger(pixels) || pixels < 8 || pixels > 1024) throw invalidParam('pixels', `${JSON.stringify(pixels)} is out of range`, 'integer 8..1024');
  if (!Array.isArray(directions) || directions.length === 0 || directions.some((d) => !DIRECTIONS.includes(d))) throw invalidParam('directions', 'expected a non-empty list of left, right, up, down');
  const ref = rest.init_images?.[0];
  if (!ref) throw invalidParam('init_images', 'outpainting needs an init image');
  const src = await loadImage(ref, 'init_images[0]');
  const blur = outpaint_mask_blur ?? (method === 'mk2' ? 8 : 4);
  const seed = resolveSeed('seed', rest.seed);
  let canvas: OutpaintCanvas;
  const params: Img2ImgParams = { ...rest, seed: seedJson(seed), resize_mode: 0, inpaint_full_res: false };
  if (method === 'resize-and-fill') {
    canvas = await resizeAndFillCanvas(src, rest.width ?? 512, rest.height ?? 512);
  } else if (method === 'poor-man') {
    canvas = poorMansCanvas(src, pixels, directions, 2 * blur);
    Object.assign(params, { mask_blur: 2 * blur, inpainting_fill: rest.inpainting_fill ?? 0 });
  } else {
    canvas = mk2Canvas(src, pixels, directions, blur, color_variation, seed, (rest.override_settings?.randn_source ?? deps.settings.randnSource).toLowerCase() as 'gpu');
    const horizontal = directions.includes('left') || directions.includes('right');
    const vertical = directions.includes('up') || directions.includes('down');
    Object.assign(params, { mask_blur_x: horizontal ? 4 * blur : 0, mask_blur_y: vertical ? 4 * blur : 0, inpainting_fill: 1 });
  }
  params.width = canvas.image.width;
  params.height = canvas.image.height;
  params.init_images = [dataUrl(await encodePng(canvas.image))];
  params.mask = dataUrl(await encodePng(grayToRgb(canvas.mask)));
  const result = await runImg2Img(params, job, deps);
  // Report what the caller sent, not the generated canvas and mask.
  result.parameters = { ...result.parameters, init_images: rest.init_images, mask: undefined };
  return result;
}
