import { rgbToPlanar, type RgbImage } from '../image/rgbImage';
import type { SdModel } from '../parts/sdModel';
import type { Rng } from '../sampling';
import { cropRgb } from '../image/mask/gray';
import { encodeLatent } from '../parts/vae';

/**
 * VAE-encode one already-processed RGB image (cropped to a multiple of 8, as the VAE downsamples with floor).
 * `rng` supplies the posterior noise for exports that return mean + logvar.
 */
export async function encodeImage(model: SdModel, img: RgbImage, rng: Rng): Promise<{ latent: Float32Array; h: number; w: number }> {
  const W = Math.floor(img.width / 8) * 8;
  const H = Math.floor(img.height / 8) * 8;
  const src = W === img.width && H === img.height ? img : cropRgb(img, [0, 0, W, H]);
  const encoder = await model.vaeEncoder();
  return encodeLatent(encoder, rgbToPlanar(src), H, W, (n) => rng.randn([n]));
}
