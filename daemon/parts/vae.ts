import type { ModelSession, TensorSpec } from '../../models/sessions';
import { modelError } from '../errors';
import { findSpec, floatTensor, requireFloat, toFloat32 } from './modelTensors';

/** SD1.x/SD2 latent scaling factor (diffusers' vae.config.scaling_factor); SDXL's is 0.13025 (the layout says which). */
export const LATENT_SCALE = 0.18215;

/** A network's output for one image before it becomes a latent: `c` planes of h×w (moments, or the latent). */
export interface RawLatent {
  data: Float32Array;
  c: number;
  h: number;
  w: number;
}

/**
 * Image → scaled SD latent, in two halves so that tiles can be blended before the posterior is sampled:
 * `encodeRaw` runs the network on an image 3×H×W in [-1, 1]; `toLatent` turns (blended) raw output into the latent
 * 4×h×w, drawing posterior noise from `noise` where the export returns mean + logvar.
 */
export interface ImageEncoder {
  encodeRaw(image: Float32Array, height: number, width: number): Promise<RawLatent>;
  toLatent(raw: RawLatent, noise: (n: number) => Float32Array): Float32Array;
}

/** Scaled SD latent 4×h×w → image 3×8h×8w in [-1, 1] (not clamped). */
export interface LatentDecoder {
  decode(latent: Float32Array, h: number, w: number): Promise<{ image: Float32Array; height: number; width: number }>;
}

/** encodeRaw then toLatent: one image through an encoder. */
export async function encodeLatent(e: ImageEncoder, image: Float32Array, height: number, width: number, noise: (n: number) => Float32Array): Promise<{ latent: Float32Array; h: number; w: number }> {
  const raw = await e.encodeRaw(image, height, width);
  return { latent: e.toLatent(raw, noise), h: raw.h, w: raw.w };
}

/**
 * VAE encoder. Exports give either a sampled `latent_sample` (diffusers script; the sampling happens inside the
 * graph) or the posterior's parameters `latent_parameters` (mean ++ logvar, Optimum): then we sample with our
 * own seeded noise so img2img stays reproducible.
 */
export class VaeEncoder implements ImageEncoder {
  private readonly input: TensorSpec;
  private readonly output: string;
  private readonly kind: 'sample' | 'parameters';

  constructor(
    private readonly session: ModelSession,
    private readonly scale = LATENT_SCALE,
  ) {
    const file = session.path;
    this.input = findSpec(session.inputs, ['sample', 'images', 'image', 'x'], file, 'image', 'input');
    requireFloat(this.input, file);
    const out = findSpec(session.outputs, ['latent_sample', 'latent_parameters', 'latent_dist', 'latent'], file, 'latent', 'output');
    this.output = out.name;
    this.kind = out.name === 'latent_parameters' || out.name === 'latent_dist' ? 'parameters' : 'sample';
  }

  /** image: 1×3×H×W in [-1, 1] → the export's output (a sampled latent, or mean ++ logvar) at 1/8 size. */
  async encodeRaw(image: Float32Array, height: number, width: number): Promise<RawLatent> {
    const out = await this.session.run({ [this.input.name]: floatTensor(image, [1, 3, height, width], this.input.type) }, [this.output]);
    const t = out[this.output]!;
    const [, c, h, w] = t.dims as [number, number, number, number];
    const want = this.kind === 'sample' ? 4 : 8;
    if (c !== want) throw modelError(this.session.path, `"${this.output}" has ${c} channels`, this.kind === 'sample' ? '4 latent channels' : '8 channels (4 mean + 4 log-variance)');
    return { data: toFloat32(t, this.session.path, this.output), c, h, w };
  }

  /** Scaled latent 4×h×w; `noise` supplies N(0,1) for posterior sampling. */
  toLatent(raw: RawLatent, noise: (n: number) => Float32Array): Float32Array {
    const { data } = raw;
    const plane = raw.h * raw.w;
    const latent = new Float32Array(4 * plane);
    if (this.kind === 'sample') {
      for (let i = 0; i < latent.length; i++) latent[i] = data[i]! * this.scale;
      return latent;
    }
    const eps = noise(4 * plane);
    for (let i = 0; i < latent.length; i++) {
      // ldm's DiagonalGaussianDistribution clamps logvar to [-30, 20] before std = exp(logvar / 2).
      const logvar = Math.min(20, Math.max(-30, data[4 * plane + i]!));
      latent[i] = (data[i]! + Math.exp(0.5 * logvar) * eps[i]!) * this.scale;
    }
    return latent;
  }
}

/** VAE decoder: scaled latent → image in [-1, 1], 3×8h×8w. */
export class VaeDecoder implements LatentDecoder {
  private readonly input: TensorSpec;
  private readonly output: string;

  constructor(
    private readonly session: ModelSession,
    private readonly scale = LATENT_SCALE,
  ) {
    const file = session.path;
    this.input = findSpec(session.inputs, ['latent_sample', 'latent', 'z', 'latents'], file, 'latent', 'input');
    requireFloat(this.input, file);
    this.output = findSpec(session.outputs, ['sample', 'images', 'image'], file, 'image', 'output').name;
  }

  async decode(latent: Float32Array, h: number, w: number): Promise<{ image: Float32Array; height: number; width: number }> {
    const scaled = new Float32Array(latent.length);
    for (let i = 0; i < latent.length; i++) scaled[i] = latent[i]! / this.scale;
    const out = await this.session.run({ [this.input.name]: floatTensor(scaled, [1, 4, h, w], this.input.type) }, [this.output]);
    const t = out[this.output]!;
    const [, c, height, width] = t.dims as [number, number, number, number];
    if (c !== 3) throw modelError(this.session.path, `"${this.output}" has ${c} channels`, '3 (RGB)');
    return { image: toFloat32(t, this.session.path, this.output), height, width };
  }
}
