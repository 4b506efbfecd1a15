// Live previews of the latent being sampled: A1111's "Approx cheap" (a fixed linear map, here) or "TAESD" (setting
// previewMethod 'taesd': the tiny decoder of daemon/parts/taesd.ts at full size) when its file is in the models
// root's VAE-approx folder; without the file, or if it fails, the cheap preview is used. SDXL latents have their
// own cheap map and their own tiny decoder, TAESDXL (`taesdxl_decoder.*`, A1111 sd_vae_taesd's is_sdxl file).
import { PNG } from 'pngjs';
import { findFixedModelFile } from '../../models/registry';
import type { ModelSession } from '../../models/sessions';
import type { JobContext } from '../jobs';
import { taesdToRgba, type TaesdDecoders } from '../parts/taesd';
import type { DaemonSettings } from '../protocol';

/**
 * A1111's "Approx cheap" live preview: a fixed 4×3 linear map per latent pixel (`modules/sd_vae_approx.py:
 * cheap_approximation`), giving an RGB image at 1/8 of the output size. Rows are latent channels; columns R, G, B.
 * SDXL's latent space has its own map (the same function's `is_sdxl` branch).
 */
const FACTORS = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
] as const;

const SDXL_FACTORS = [
  [0.3448, 0.4168, 0.4395],
  [-0.1953, -0.029, 0.025],
  [0.1074, 0.0886, -0.0163],
  [-0.373, -0.2499, -0.2088],
] as const;

/** Which latent space the preview decodes: SD 1.x/2.x or SDXL's. */
export type LatentSpace = 'sd' | 'sdxl';

/** One latent (4×h×w, as the sampler holds it) → RGBA bytes, h×w. */
export function latentToRgbaCheap(latent: Float32Array, h: number, w: number, space: LatentSpace = 'sd'): Uint8Array {
  const F = space === 'sdxl' ? SDXL_FACTORS : FACTORS;
  const plane = h * w;
  const out = new Uint8Array(plane * 4);
  for (let i = 0; i < plane; i++) {
    const l0 = latent[i]!, l1 = latent[plane + i]!, l2 = latent[2 * plane + i]!, l3 = latent[3 * plane + i]!;
    for (let c = 0; c < 3; c++) {
      const v = l0 * F[0][c]! + l1 * F[1][c]! + l2 * F[2][c]! + l3 * F[3][c]!;
      const u = (v + 1) / 2;
      out[i * 4 + c] = u <= 0 ? 0 : u >= 1 ? 255 : Math.round(u * 255);
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Cheap preview as PNG base64 (small: 64×64 for a 512 px image), ready for a notification. */
export function cheapPreviewPng(latent: Float32Array, h: number, w: number, space: LatentSpace = 'sd'): string {
  const png = new PNG({ width: w, height: h });
  png.data = Buffer.from(latentToRgbaCheap(latent, h, w, space));
  return PNG.sync.write(png).toString('base64');
}

/** What the pipeline calls per wanted preview; `flush` before the image is finished so no preview comes late. */
export interface LivePreview {
  readonly method: 'cheap' | 'taesd';
  send(job: JobContext, image: number, step: number, latent: Float32Array, h: number, w: number): void;
  flush(): Promise<void>;
}

const cheapFor = (space: LatentSpace): LivePreview => ({
  method: 'cheap',
  send: (job, image, step, latent, h, w) => job.preview({ image, step, width: w, height: h, png: cheapPreviewPng(latent, h, w, space) }),
  flush: async () => undefined,
});

/**
 * The preview method in force: TAESD when asked for and its decoder file exists (TAESDXL for SDXL models), else
 * the cheap one. `kind`: the model's kind ('sd', 'sdxl', 'sdxl-refiner'). A broken TAESD file must not stop
 * generation: it is named in a warning and the cheap preview is used.
 */
export async function livePreviewFor(settings: DaemonSettings, decoders: TaesdDecoders, kind: string = 'sd', warn: (message: string) => void = () => undefined): Promise<LivePreview> {
  const space: LatentSpace = kind === 'sd' ? 'sd' : 'sdxl';
  const cheap = cheapFor(space);
  if (settings.previewMethod !== 'taesd') return cheap;
  const file = findFixedModelFile(settings.modelsRoot, space === 'sdxl' ? 'taesdxlDecoder' : 'taesdDecoder');
  if (!file) return cheap;
  let session: ModelSession;
  try {
    session = await decoders.session(file);
  } catch (e) {
    warn(`VAE-approx file ${file} cannot be used, the cheap preview is shown instead: ${(e as Error).message}`);
    return cheap;
  }
  let chain: Promise<void> = Promise.resolve();
  return {
    method: 'taesd',
    send(job, image, step, latent, h, w) {
      const copy = latent.slice();
      chain = chain.then(async () => {
        try {
          const { rgba, width, height } = await taesdToRgba(session, copy, h, w);
          const png = new PNG({ width, height });
          png.data = Buffer.from(rgba);
          job.preview({ image, step, width, height, png: PNG.sync.write(png).toString('base64') });
        } catch {
          cheap.send(job, image, step, copy, h, w);
        }
      });
    },
    flush: () => chain,
  };
}
