// TAESD, the tiny autoencoder A1111 uses for live previews and as its "TAESD" VAE type (modules/sd_vae_taesd.py;
// sd_samplers_common.samples_to_images_tensor and images_tensor_to_samples). Its graphs are built once from the
// user's files (models/taesdCache.ts). Its latents already live in the SD latent's ×0.18215 space, its images in
// [0, 1]: previews clamp them, the VAE type maps them to the VAE's [-1, 1].
import { buildTaesdDecoder } from '../../models/taesdCache';
import type { ModelSession, SessionPool, TensorSpec } from '../../models/sessions';
import { modelError } from '../errors';
import { findSpec, floatTensor, requireFloat, toFloat32 } from './modelTensors';
import type { ImageEncoder, LatentDecoder, RawLatent } from './vae';

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

/** Decoder: scaled latent → image, mapped to [-1, 1] (A1111: `x_sample * 2 - 1`). */
export class TaesdDecoder implements LatentDecoder {
  private readonly input: TensorSpec;
  private readonly output: string;

  constructor(private readonly session: ModelSession) {
    this.input = findSpec(session.inputs, ['latent_sample'], session.path, 'latent', 'input');
    this.output = findSpec(session.outputs, ['sample'], session.path, 'image', 'output').name;
  }

  async decode(latent: Float32Array, h: number, w: number): Promise<{ image: Float32Array; height: number; width: number }> {
    const out = await this.session.run({ [this.input.name]: floatTensor(latent, [1, 4, h, w], requireFloat(this.input, this.session.path)) }, [this.output]);
    const t = out[this.output]!;
    const [, c, height, width] = t.dims as [number, number, number, number];
    if (c !== 3) throw modelError(this.session.path, `"${this.output}" has ${c} channels`, '3 (RGB)');
    const image = toFloat32(t, this.session.path, this.output).slice();
    for (let i = 0; i < image.length; i++) image[i] = image[i]! * 2 - 1;
    return { image, height, width };
  }
}

/** Encoder: image in [-1, 1] → [0, 1] → latent (no posterior: TAESD's output is the latent). */
export class TaesdEncoder implements ImageEncoder {
  private readonly input: TensorSpec;
  private readonly output: string;

  constructor(private readonly session: ModelSession) {
    this.input = findSpec(session.inputs, ['sample'], session.path, 'image', 'input');
    this.output = findSpec(session.outputs, ['latent_sample'], session.path, 'latent', 'output').name;
  }

  async encodeRaw(image: Float32Array, height: number, width: number): Promise<RawLatent> {
    const unit = new Float32Array(image.length);
    for (let i = 0; i < image.length; i++) unit[i] = (image[i]! + 1) / 2;
    const out = await this.session.run({ [this.input.name]: floatTensor(unit, [1, 3, height, width], requireFloat(this.input, this.session.path)) }, [this.output]);
    const t = out[this.output]!;
    const [, c, h, w] = t.dims as [number, number, number, number];
    if (c !== 4) throw modelError(this.session.path, `"${this.output}" has ${c} channels`, '4 latent channels');
    return { data: toFloat32(t, this.session.path, this.output), c, h, w };
  }

  toLatent(raw: RawLatent): Float32Array {
    return raw.data.slice();
  }
}
