// A1111 sd_samplers_timesteps_impl.ddim_cfgpp (CFG++, Chung et al. 2024) in σ-space: DDIM (ddim.ts) whose
// direction term points along the UNCONDITIONAL noise prediction (the CFG denoiser's `last_noise_uncond`),
// while x₀ comes from the guided prediction, made with the CFG scale / 12.5 (catalog `cfgScaleMultiplier`):
// x̃' = x0 + √((1 − ᾱ' − σ_t²)/ᾱ')·e_u + σ_t/√ᾱ'·n, e_u = (x̃ − D_uncond)/σ. Without an unconditional
// prediction (no CFG) it is DDIM.
import { checkAbort } from '../math';
import type { Sampler } from './types';

export function ddimCfgpp(o: { eta?: number } = {}): Sampler {
  const { eta = 0 } = o;
  return async (denoise, x0, sigmas, opts) => {
    const x = x0.slice();
    for (let i = 0; i < sigmas.length - 1; i++) {
      checkAbort(opts.signal);
      const s = sigmas[i]!, sp = sigmas[i + 1]!;
      const a = 1 / (1 + s * s), ap = 1 / (1 + sp * sp);
      const st = eta * Math.sqrt(((1 - ap) / (1 - a)) * (1 - a / ap));
      const den = await denoise(x, s);
      const unc = opts.uncondDenoised?.() ?? den;
      const cDir = Math.sqrt(Math.max(0, (1 - ap - st * st) / ap)) / s, cN = st / Math.sqrt(ap);
      const n = opts.noise(s, sp);
      for (let k = 0; k < x.length; k++) x[k] = den[k]! + cDir * (x[k]! - unc[k]!) + cN * n[k]!;
      opts.onStep?.(i, s, den);
    }
    return x;
  };
}
