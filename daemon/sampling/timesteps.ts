// Step grids of A1111's timestep samplers (sd_samplers_timesteps: DDIM, PLMS, UniPC) and LCM, as σ lists for
// the σ-space samplers. Timestep samplers work on x_VP = x̃/√(1+σ²): a pipeline matching A1111 bit for bit
// starts from x̃ = noise·√(1+σ₀²) (txt2img) and hands x̃·/√(1+σ_last²) to the VAE (see `vpScale`).
import { linspace } from './math';
import type { ScheduleModel } from './schedules';

/**
 * DDIM/PLMS: timesteps = clip(range(0, 1000, 1000//steps) + 1, 0, 999); σ at each, descending, then σ(t=0):
 * A1111's loop runs once per timestep and steps to `alphas_cumprod[pad(timesteps[:-1], (1, 0))]`, so the last
 * step lands on ᾱ₀ (σ ≈ 0.029), not on 0 and not on t = 1.
 */
export function timestepSigmas(steps: number, model: ScheduleModel): Float64Array {
  const T = model.sigmas.length;
  const ts: number[] = [];
  for (let t = 0; t < T; t += Math.max(1, Math.floor(T / steps))) ts.push(Math.min(t + 1, T - 1));
  return Float64Array.from([...ts.reverse().map((t) => model.sigmas[t]!), model.sigmas[0]!]);
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
 * noised at timesteps[t_enc] (ᾱ_enc), sampling over timesteps[:t_enc] and then to t = 0.
 */
export function timestepImg2ImgSigmas(steps: number, denoisingStrength: number, fixSteps: boolean, model: ScheduleModel & { alphasCumprod: Float64Array }):
  { sigmas: Float64Array; stepsRun: number; tEnc: number; alphaEnc: number } {
  const d = Math.min(denoisingStrength, 0.999);
  const total = fixSteps ? (denoisingStrength > 0 ? Math.trunc(steps / d) : 0) : steps;
  const tEnc = fixSteps ? steps - 1 : Math.trunc(d * steps);
  const ts = a1111Timesteps(Math.max(1, total), model.sigmas.length);
  const run = ts.slice(0, tEnc).reverse();
  const sigmas = Float64Array.from([...run.map((t) => model.sigmas[t]!), model.sigmas[0]!]);
  const alphaEnc = model.alphasCumprod[ts[Math.min(tEnc, ts.length - 1)]!]!;
  return { sigmas, stepsRun: run.length, tEnc, alphaEnc };
}
