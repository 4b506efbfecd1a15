import { throwIfAborted } from '../errors';
import type { SdModel } from '../parts/sdModel';
import { lcmModel, makeDenoiser, makeLcmDenoiser, type DiscreteSchedule, type Sampler, type SamplerKind } from '../sampling';
import type { Conditioning } from './encodePrompt';

export interface DenoiseRequest {
  model: SdModel;
  schedule: DiscreteSchedule;
  /** LCM samples with its own denoiser (A1111 LCMCompVisDenoiser); the others with k-diffusion's CompVis one. */
  kind: SamplerKind;
  cond: Conditioning;
  uncond: Conditioning;
  cfgScale: number;
  /** Batch of latents, n × 4 × h × w, already noised to sigmas[0]. */
  x: Float32Array;
  n: number;
  h: number;
  w: number;
  sigmas: Float64Array;
  sampler: Sampler;
  /** Next N(0,1) tensor of x's size from the per-image generators (ancestral/SDE samplers). */
  noise: () => Float32Array;
  signal: AbortSignal;
  onStep: (i: number, denoised: Float32Array) => void;
}

/**
 * The CFG denoiser over the UNet: per image one UNet call with batch [uncond, cond] (or two calls for
 * batch-1 exports), combined as uncond + cfg·(cond − uncond) (A1111 `combine_denoised`, linear, so it is the
 * same on ε or on x₀). Each image is run on its own so image k of a batch equals a single run with its seed.
 */
export async function denoise(req: DenoiseRequest): Promise<Float32Array> {
  const { model, cond, uncond, cfgScale, n, h, w, signal } = req;
  if (cond.tokens !== uncond.tokens || cond.dim !== uncond.dim) throw new Error('cond and uncond conditionings must have the same shape');
  const c = 4;
  const per = c * h * w;
  const ctxLen = cond.tokens * cond.dim;
  const ctx = new Float32Array(2 * ctxLen);
  ctx.set(uncond.hidden, 0);
  ctx.set(cond.hidden, ctxLen);
  const pair = new Float32Array(2 * per);

  const modelFn = async (xScaled: Float32Array, t: number): Promise<Float32Array> => {
    const out = new Float32Array(xScaled.length);
    for (let i = 0; i < n; i++) {
      throwIfAborted(signal);
      const xi = xScaled.subarray(i * per, (i + 1) * per);
      pair.set(xi, 0);
      pair.set(xi, per);
      const pred = await model.unet.predict(pair, 2, c, h, w, t, ctx, cond.tokens, cond.dim);
      const o = out.subarray(i * per, (i + 1) * per);
      for (let k = 0; k < per; k++) {
        const u = pred[k]!;
        o[k] = u + cfgScale * (pred[per + k]! - u);
      }
    }
    return out;
  };

  const denoiser = req.kind === 'lcm'
    ? makeLcmDenoiser(lcmModel(req.schedule).sigmas, modelFn)
    : makeDenoiser(req.schedule, req.model.layout.scheduler.prediction_type, modelFn);
  return req.sampler(denoiser, req.x, req.sigmas, {
    noise: () => req.noise(),
    signal,
    onStep: (i, _sigma, denoised) => req.onStep(i, denoised),
  });
}
