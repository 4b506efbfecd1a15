// TAESD, the tiny VAE decoder A1111 uses for live previews: its session (the graph is built once from the user's
// file, models/taesdCache.ts) and the one call, latent → RGB. The sampler's denoised latent already lives in
// TAESD's space (SD latents ×0.18215); the output is clamped to [0, 1] as A1111's samples_to_images_tensor does.
import { buildTaesdDecoder } from '../../models/taesdCache';
import type { ModelSession, SessionPool } from '../../models/sessions';

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
