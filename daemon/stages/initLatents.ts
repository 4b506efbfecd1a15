import { loadImage } from '../image/decode';
import { rgbToPlanar } from '../image/rgbImage';
import type { SdModel } from '../parts/sdModel';
import type { ResizeMode } from '../protocol';
import { createRng, type RngSource } from '../sampling';
import { resizeForImg2Img, resizeLatentBilinear } from '../image/resize';
import { encodeLatent } from '../parts/vae';

export interface InitLatent {
  latent: Float32Array;
  h: number;
  w: number;
}

/**
 * Load, resize (A1111 mode geometry) and VAE-encode each init image once. Mode 3 encodes at the source size and
 * resizes the latent bilinearly. Posterior sampling (for exports that return mean + logvar) uses a generator
 * seeded with the job's first seed, so the same settings give the same latent.
 */
export async function encodeInitImages(
  model: SdModel,
  refs: string[],
  mode: ResizeMode,
  width: number,
  height: number,
  seed: bigint,
  rngSource: RngSource,
  signal: AbortSignal,
): Promise<InitLatent[]> {
  const encoder = await model.vaeEncoder();
  const rng = createRng(rngSource, seed);
  const out: InitLatent[] = [];
  for (let i = 0; i < refs.length; i++) {
    if (signal.aborted) break;
    const img = await resizeForImg2Img(await loadImage(refs[i]!, `init_images[${i}]`), mode, width, height);
    // The VAE downsamples by 8 with floor (docs/a1111-behaviour.md: img2img: steps run and the starting latent): crop
    // to a multiple of 8 first.
    const h8 = Math.floor(img.height / 8) * 8;
    const w8 = Math.floor(img.width / 8) * 8;
    const cropped = h8 === img.height && w8 === img.width ? img : cropRgb(img, w8, h8);
    const enc = await encodeLatent(encoder, rgbToPlanar(cropped), h8, w8, (n) => rng.randn([n]));
    if (mode === 3 && (enc.h !== Math.floor(height / 8) || enc.w !== Math.floor(width / 8))) {
      const H = Math.floor(height / 8);
      const W = Math.floor(width / 8);
      out.push({ latent: resizeLatentBilinear(enc.latent, 4, enc.h, enc.w, H, W), h: H, w: W });
    } else {
      out.push(enc);
    }
  }
  return out;
}

function cropRgb(img: { data: Uint8Array; width: number; height: number }, w: number, h: number): { data: Uint8Array; width: number; height: number } {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) data.set(img.data.subarray(y * img.width * 3, y * img.width * 3 + w * 3), y * w * 3);
  return { data, width: w, height: h };
}
