// Step grids of A1111's timestep samplers (sd_samplers_timesteps: DDIM, PLMS, UniPC) and LCM, as σ lists for
// the σ-space samplers. Timestep samplers work on x_VP = x̃/√(1+σ²): a pipeline matching A1111 bit for bit
// starts from x̃ = noise·√(1+σ₀²) (txt2img) and hands x̃·/√(1+σ_last²) to the VAE (see `vpScale`).
import { linspace } from './math';
import type { ScheduleModel } from './schedules';

/**
 * DDIM/PLMS: timesteps = clip(range(0, 1000, 1000//steps) + 1, 0, 999); σ at each, descending. A1111's loop
 * (sd_samplers_timesteps_impl.ddim: `for i in range(len(timesteps) - 1)`, index = len − 1 − i) calls the model at
 * timesteps[len−1] … timesteps[1] and steps to `alphas_cumprod[pad(timesteps[:-1], (1, 0))]`, i.e. the next lower
 * timestep: steps − 1 model calls, the last landing on t = timesteps[0] = 1 (σ ≈ 0.03), not on 0.
 */
export function timestepSigmas(steps: number, model: ScheduleModel): Float64Array {
  return Float64Array.from(a1111Timesteps(steps, model.sigmas.length).reverse().map((t) => model.sigmas[t]!));
}

/** The timesteps themselves (ascending), for img2img: noise at timesteps[t_enc], sampling over timesteps[:t_enc]. */
export function a1111Timesteps(steps: number, total = 1000): number[] {
  const ts: number[] = [];
  for (let t = 0; t < total; t += Math.max(1, Math.floor(total / steps))) ts.push(Math.min(t + 1, total - 1));
  return ts;
}

/**
 * UniPC (NoiseScheduleVP 'discrete', skip_type time_uniform): t = linspace(1, 1/N, steps + 1), log α(t)
 * piecewise-linear over t_i = (i+1)/N, σ = √(α⁻² − 1). Ends at σ_min, not 0.
 */
export function unipcSigmas(steps: number, model: ScheduleModel): Float64Array {
  const N = model.sigmas.length;
  const logAlpha = model.sigmas.map((s) => -0.5 * Math.log1p(s * s));
  return linspace(1, 1 / N, steps + 1).map((t) => {
    const u = t * N - 1; // index in t_array
    const lo = Math.max(0, Math.min(N - 2, Math.floor(u)));
    const la = logAlpha[lo]! + (u - lo) * (logAlpha[lo + 1]! - logAlpha[lo]!);
    return Math.sqrt(Math.expm1(-2 * la));
  });
}

/** LCM's 50-entry table (sd_samplers_lcm.LCMCompVisDenoiser: every 20th timestep from 19 to 999). */
export function lcmModel(model: ScheduleModel, originalSteps = 50): ScheduleModel {
  const T = model.sigmas.length, skip = Math.floor(T / originalSteps);
  const table = new Float64Array(originalSteps);
  for (let x = 0; x < originalSteps; x++) table[originalSteps - 1 - x] = model.sigmas[T - 1 - x * skip]!;
  return { ...model, sigmas: table };
}

/** √ᾱ = 1/√(1+σ²): multiply a σ-space latent by this to get A1111's VP-space latent at σ. */
export const vpScale = (sigma: number) => 1 / Math.sqrt(1 + sigma * sigma);

/**
 * img2img for the timestep samplers (CompVisSampler.sample_img2img): t_enc from setup_img2img_steps, the latent
 * noised at timesteps[t_enc] (ᾱ_enc), the sampler run over timesteps[:t_enc] (t_enc − 1 model calls, down to
 * t = 1, as in txt2img). With t_enc ≤ 1 no step runs and the noised latent is decoded, as in A1111.
 */
export function timestepImg2ImgSigmas(steps: number, denoisingStrength: number, fixSteps: boolean, model: ScheduleModel & { alphasCumprod: Float64Array }):
  { sigmas: Float64Array; stepsRun: number; tEnc: number; alphaEnc: number } {
  const d = Math.min(denoisingStrength, 0.999);
  const total = fixSteps ? (denoisingStrength > 0 ? Math.trunc(steps / d) : 0) : steps;
  const tEnc = fixSteps ? steps - 1 : Math.trunc(d * steps);
  const ts = a1111Timesteps(Math.max(1, total), model.sigmas.length);
  const encAt = ts[Math.min(tEnc, ts.length - 1)]!;
  const run = tEnc > 0 ? ts.slice(0, tEnc).reverse() : [encAt];
  const sigmas = Float64Array.from(run.map((t) => model.sigmas[t]!));
  return { sigmas, stepsRun: run.length - 1, tEnc, alphaEnc: model.alphasCumprod[encAt]! };
}
