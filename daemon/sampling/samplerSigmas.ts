// The full schedule a k-diffusion sampler receives for `steps` (KDiffusionSampler.get_sigmas) and the
// img2img truncation (setup_img2img_steps + KDiffusionSampler.sample_img2img).
import { resolveSampler } from './catalog';
import { schedules, uniform, type ScheduleModel } from './schedules';
import { lcmModel, timestepSigmas, unipcSigmas } from './timesteps';

/**
 * Automatic → the sampler's default; "Automatic" left (Euler, Euler a, ...) → model get_sigmas (Uniform).
 * DDIM/PLMS/UniPC: their timestep grid (schedule ignored, no final 0); LCM: schedules over its 50-entry table.
 * Discard-penultimate samplers (DPM2, DPM2 a, DPM++ 3M SDE, or `alwaysDiscard`) build steps+1 and drop sigmas[-2].
 */
export function samplerSigmas(samplerName: string, schedulerName: string | undefined, steps: number, model: ScheduleModel,
  opts: { alwaysDiscard?: boolean } = {}): Float64Array {
  const r = resolveSampler(samplerName, schedulerName);
  const discard = r.discardPenultimate || !!opts.alwaysDiscard;
  const n = steps + (discard ? 1 : 0);
  if (r.kind === 'timesteps') return r.sampler === 'UniPC' ? unipcSigmas(steps, model) : timestepSigmas(n, model);
  const fn = schedules[r.scheduler] ?? uniform;
  const s = fn(n, r.kind === 'lcm' ? lcmModel(model) : model);
  if (!discard || s.length < 2) return s;
  const out = new Float64Array(s.length - 1);
  out.set(s.subarray(0, s.length - 2));
  out[out.length - 1] = s[s.length - 1]!;
  return out;
}

/** `setup_img2img_steps`: t_enc = int(min(d, .999)·steps); run sigmas[steps − t_enc − 1:] (t_enc + 1 steps). */
export function img2imgSigmas(fullScheduleFor: (steps: number) => Float64Array, steps: number, denoisingStrength: number,
  fixSteps: boolean): { sigmas: Float64Array; stepsRun: number; tEnc: number } {
  const d = Math.min(denoisingStrength, 0.999);
  let total: number, tEnc: number;
  if (fixSteps) {
    total = denoisingStrength > 0 ? Math.trunc(steps / d) : 0;
    tEnc = steps - 1;
  } else {
    total = steps;
    tEnc = Math.trunc(d * steps);
  }
  const full = fullScheduleFor(total);
  const sigmas = full.slice(Math.max(0, total - tEnc - 1));
  return { sigmas, stepsRun: sigmas.length - 1, tEnc };
}
