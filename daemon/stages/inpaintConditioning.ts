// Image conditioning for 9-channel inpainting UNets (A1111 `modules/processing.py:
// StableDiffusionProcessing.inpainting_image_conditioning`): [mask 1, masked-image latent 4] appended
// after the noisy latent. Used with a mask, and also for plain img2img (mask all ones) and txt2img (grey image)
// as A1111 does for inpainting models.
import { rgbToPlanar, type RgbImage } from '../image/rgbImage';
import type { SdModel } from '../parts/sdModel';
import type { Rng } from '../sampling';
import type { GrayImage } from '../image/mask/gray';
import { conditioningMask } from '../image/mask/latentMask';
import { encodeLatent } from '../parts/vae';

/** Extra UNet channels of an inpainting model (9 in = 4 latent + 1 mask + 4 masked-image latent). */
export const INPAINT_EXTRA_CHANNELS = 5;

/** Whether the model's UNet takes the inpainting conditioning (detected from its input shape). */
export const isInpaintingModel = (model: SdModel): boolean => model.unet.inChannels === 9;

/**
 * A1111's masked image: `lerp(src, src·(1−m), weight)` = src·(1 − weight·m), src in [−1, 1] planar 3×H×W,
 * m the mask /255 (rounded when `round`) at the same size; without a mask m = 1 everywhere.
 */
export function maskedImage(src: Float32Array, mask: GrayImage | undefined, weight: number, round: boolean): Float32Array {
  const plane = src.length / 3;
  const out = new Float32Array(src.length);
  for (let i = 0; i < plane; i++) {
    let m = mask ? mask.data[i]! / 255 : 1;
    if (round) m = m >= 0.5 ? 1 : 0;
    const k = 1 - weight * m;
    out[i] = src[i]! * k;
    out[plane + i] = src[plane + i]! * k;
    out[2 * plane + i] = src[2 * plane + i]! * k;
  }
  return out;
}

/**
 * The 5×h×w conditioning of one image: `source` the processed init image at the processing size (after fill,
 * crop and resize; undefined for txt2img: a mid-grey image, mask 1), `mask` the processing-size mask.
 */
export async function inpaintConditioning(
  model: SdModel,
  source: RgbImage | undefined,
  mask: GrayImage | undefined,
  weight: number,
  round: boolean,
  h: number,
  w: number,
  rng: Rng,
): Promise<Float32Array> {
  const H = 8 * h;
  const W = 8 * w;
  const planar = source ? cropPlanar(rgbToPlanar(source), source.width, source.height, W, H) : new Float32Array(3 * H * W);
  const masked = source ? maskedImage(planar, mask && mask.width === W && mask.height === H ? mask : mask && cropMask(mask, W, H), weight, round) : planar;
  // A1111 encodes the conditioning image with the full VAE whatever the VAE type (inpainting_image_conditioning).
  const encoder = await model.conditioningEncoder();
  const enc = await encodeLatent(encoder, masked, H, W, (n) => rng.randn([n]));
  const out = new Float32Array(INPAINT_EXTRA_CHANNELS * h * w);
  out.set(source && mask ? conditioningMask(mask, h, w, round) : new Float32Array(h * w).fill(1), 0);
  out.set(enc.latent.subarray(0, 4 * h * w), h * w);
  return out;
}

/** Keep the top-left W×H of a planar 3×srcH×srcW image (the VAE needs multiples of 8). */
function cropPlanar(p: Float32Array, sw: number, sh: number, W: number, H: number): Float32Array {
  if (sw === W && sh === H) return p;
  const out = new Float32Array(3 * W * H);
  for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) out.set(p.subarray(c * sw * sh + y * sw, c * sw * sh + y * sw + W), c * W * H + y * W);
  return out;
}

function cropMask(m: GrayImage, W: number, H: number): GrayImage {
  const out = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) out.set(m.data.subarray(y * m.width, y * m.width + W), y * W);
  return { data: out, width: W, height: H };
}
