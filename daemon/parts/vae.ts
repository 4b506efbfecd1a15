import type { ModelSession, TensorSpec } from '../../models/sessions';
import { modelError } from '../errors';
import { findSpec, floatTensor, requireFloat, toFloat32 } from './modelTensors';

/** SD1.x/SD2 latent scaling factor (diffusers' vae.config.scaling_factor); SDXL's is 0.13025 (the layout says which). */
export const LATENT_SCALE = 0.18215;

/**
 * VAE encoder. Exports give either a sampled `latent_sample` (diffusers script; the sampling happens inside the
 * graph) or the posterior's parameters `latent_parameters` (mean ++ logvar, Optimum): then we sample with our
 * own seeded noise so img2img stays reproducible.
 */
export class VaeEncoder {
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

  /** image: 1×3×H×W in [-1, 1] → scaled latent 4×(H/8)×(W/8). `noise` supplies N(0,1) for posterior sampling. */
  async encode(image: Float32Array, height: number, width: number, noise: (n: number) => Float32Array): Promise<{ latent: Float32Array; h: number; w: number }> {
    const out = await this.session.run({ [this.input.name]: floatTensor(image, [1, 3, height, width], this.input.type) }, [this.output]);
    const t = out[this.output]!;
    const data = toFloat32(t, this.session.path, this.output);
    const [, c, h, w] = t.dims as [number, number, number, number];
    const plane = h * w;
    if (this.kind === 'sample') {
      if (c !== 4) throw modelError(this.session.path, `"${this.output}" has ${c} channels`, '4 latent channels');
      const latent = new Float32Array(4 * plane);
      for (let i = 0; i < latent.length; i++) latent[i] = data[i]! * this.scale;
      return { latent, h, w };
    }
    if (c !== 8) throw modelError(this.session.path, `"${this.output}" has ${c} channels`, '8 channels (4 mean + 4 log-variance)');
    const eps = noise(4 * plane);
    const latent = new Float32Array(4 * plane);
    for (let i = 0; i < latent.length; i++) {
      // ldm's DiagonalGaussianDistribution clamps logvar to [-30, 20] before std = exp(logvar / 2).
      const logvar = Math.min(20, Math.max(-30, data[4 * plane + i]!));
      latent[i] = (data[i]! + Math.exp(0.5 * logvar) * eps[i]!) * this.scale;
    }
    return { latent, h, w };
  }
}

/** VAE decoder: scaled latent → image in [-1, 1], 3×8h×8w. */
export class VaeDecoder {
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
