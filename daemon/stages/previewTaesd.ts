// Live previews: A1111's "Approx cheap" (stages/preview.ts) or "TAESD" (setting previewMethod 'taesd'): the tiny
// VAE decoder `<modelsRoot>/VAE-approx/taesd_decoder.{safetensors,pth}` (A1111's file) built once into an ONNX
// graph in the cache (models/arch/taesd.ts; keyed by the file's SHA-256) and run on the sampler's denoised
// latent, which already lives in TAESD's space (SD latents ×0.18215). Output clamp(0, 1) → full-size PNG, as
// A1111's samples_to_images_tensor does for TAESD. Without the file (or if it fails) the cheap preview is used.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { buildTaesd } from '../../models/arch/taesd';
import { writeExternalModel } from '../../models/arch/externalModel';
import { buildDirAtomic } from '../../models/formats/atomicFile';
import { openWeights, stateDict } from '../../models/formats/open';
import { defaultCacheDir, hashFile } from '../../models/hash';
import { findFixedModelFile } from '../../models/registry';
import type { ModelSession, SessionPool } from '../../models/sessions';
import type { JobContext } from '../jobs';
import type { DaemonSettings } from '../protocol';
import { cheapPreviewPng } from './preview';

/** Builds (or finds in the cache) the decoder graph of a TAESD file; returns model.onnx. */
export async function buildTaesdDecoder(file: string, cacheDir = join(defaultCacheDir(), 'taesd')): Promise<string> {
  const { sha256 } = await hashFile(file);
  const dir = join(cacheDir, `decoder-${sha256.slice(0, 16)}`);
  const model = join(dir, 'model.onnx');
  if (existsSync(model)) return model;
  const part = buildTaesd(stateDict(await openWeights(file)), 'decoder');
  await buildDirAtomic(dir, (tmp) => writeExternalModel(part.g, part.params.plan, tmp, { checkpoint: file }));
  return model;
}

/** Runs the TAESD decoder on one latent [4, h, w] → RGBA bytes (8h × 8w), clamped to [0, 1]. */
export async function taesdToRgba(session: ModelSession, latent: Float32Array, h: number, w: number): Promise<{ rgba: Uint8Array; width: number; height: number }> {
  const out = await session.run({ latent_sample: { type: 'float32', data: latent, dims: [1, 4, h, w] } });
  const y = out.sample!;
  const [, , H, W] = y.dims as [number, number, number, number];
  const data = y.data as Float32Array;
  const plane = H * W;
  const rgba = new Uint8Array(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = data[c * plane + i]!;
      rgba[i * 4 + c] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
    }
    rgba[i * 4 + 3] = 255;
  }
  return { rgba, width: W, height: H };
}

/** The TAESD decoder session of the models root's file, in the TAESD pool (given by daemon/services.ts). */
export class TaesdDecoders {
  private loaded: { file: string; session: Promise<ModelSession> } | undefined;

  constructor(private readonly pool: SessionPool) {}

  session(file: string): Promise<ModelSession> {
    if (this.loaded?.file !== file) {
      // another file (the models root changed): the old decoder's session goes
      if (this.loaded) void this.pool.disposeAll();
      const session = buildTaesdDecoder(file).then((m) => this.pool.get(m));
      const entry = { file, session };
      this.loaded = entry;
      session.catch(() => {
        if (this.loaded === entry) this.loaded = undefined;
      });
    }
    return this.loaded.session;
  }

  clear(): void {
    this.loaded = undefined;
  }
}

/** What the pipeline calls per wanted preview; `flush` before the image is finished so no preview comes late. */
export interface LivePreview {
  readonly method: 'cheap' | 'taesd';
  send(job: JobContext, image: number, step: number, latent: Float32Array, h: number, w: number): void;
  flush(): Promise<void>;
}

const cheap: LivePreview = {
  method: 'cheap',
  send: (job, image, step, latent, h, w) => job.preview({ image, step, width: w, height: h, png: cheapPreviewPng(latent, h, w) }),
  flush: async () => undefined,
};

/** The preview method in force: TAESD when asked for and its decoder file exists, else the cheap one. */
export async function livePreviewFor(settings: DaemonSettings, decoders: TaesdDecoders): Promise<LivePreview> {
  if (settings.previewMethod !== 'taesd') return cheap;
  const file = findFixedModelFile(settings.modelsRoot, 'taesdDecoder');
  if (!file) return cheap;
  let session: ModelSession;
  try {
    session = await decoders.session(file);
  } catch {
    return cheap; // a broken TAESD file must not stop generation: the cheap preview still works
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
