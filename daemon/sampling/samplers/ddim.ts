// A1111 sd_samplers_timesteps_impl.ddim, rewritten in k-diffusion σ-space (x̃ = x/√ᾱ, ᾱ = 1/(1+σ²)):
// pred_x0 = D(x̃, σ), e = (x̃ − x0)/σ, x̃' = x0 + √((1 − ᾱ' − σ_t²)/ᾱ')·e + σ_t/√ᾱ'·n. eta = 0 (A1111 eta_ddim)
// makes it Euler on the timestep grid. One noise draw per step, as A1111's randn_like (× 0 when eta = 0).
// `cfgpp`: A1111's ddim_cfgpp (CFG++, Chung et al. 2024): the direction e is the UNCONDITIONAL noise prediction
// (the CFG denoiser's `last_noise_uncond`, e_u = (x̃ − D_uncond)/σ) while x0 is the guided one, made with the
// CFG scale / 12.5 (catalog `cfgScaleMultiplier`); without an unconditional prediction (no CFG) it is DDIM.
import { checkAbort } from '../math';
import type { Sampler } from './types';

export function ddim(o: { eta?: number; cfgpp?: boolean } = {}): Sampler {
  const { eta = 0, cfgpp = false } = o;
  return async (denoise, x0, sigmas, opts) => {
    const x = x0.slice();
    for (let i = 0; i < sigmas.length - 1; i++) {
      checkAbort(opts.signal);
      const s = sigmas[i]!, sp = sigmas[i + 1]!;
      const a = 1 / (1 + s * s), ap = 1 / (1 + sp * sp);
      const st = eta * Math.sqrt(((1 - ap) / (1 - a)) * (1 - a / ap));
      const den = await denoise(x, s);
      const dir = (cfgpp ? opts.uncondDenoised?.() : undefined) ?? den;
      const cDir = Math.sqrt(Math.max(0, (1 - ap - st * st) / ap)) / s, cN = st / Math.sqrt(ap);
      const n = opts.noise(s, sp);
      for (let k = 0; k < x.length; k++) x[k] = den[k]! + cDir * (x[k]! - dir[k]!) + cN * n[k]!;
      opts.onStep?.(i, s, den);
    }
    return x;
  };
}
