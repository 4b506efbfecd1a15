import { checkAbort, lincomb } from '../math';
import type { Sampler } from './types';

/** k-diffusion sample_dpmpp_2m. t = −log σ; the last step (σ_next = 0) returns the denoised sample. */
export const dpmpp2m: Sampler = async (denoise, x0, sigmas, opts) => {
  const x = x0.slice();
  const dd = new Float32Array(x.length);
  let old: Float32Array | null = null;
  for (let i = 0; i < sigmas.length - 1; i++) {
    checkAbort(opts.signal);
    const s = sigmas[i]!, sn = sigmas[i + 1]!;
    const den = await denoise(x, s);
    opts.onStep?.(i, s, den);
    if (sn === 0) {
      x.set(den);
    } else {
      const h = Math.log(s) - Math.log(sn);
      const ratio = sn / s, c = -Math.expm1(-h);
      if (old === null) {
        lincomb(x, ratio, x, c, den);
      } else {
        const r = (Math.log(sigmas[i - 1]!) - Math.log(s)) / h;
        lincomb(dd, 1 + 1 / (2 * r), den, -1 / (2 * r), old);
        lincomb(x, ratio, x, c, dd);
      }
    }
    old = den;
  }
  return x;
};
