import { ancestralStep, axpy, checkAbort, lincomb, toD } from '../math';
import type { Sampler } from './types';

/** k-diffusion sample_dpmpp_2s_ancestral (eta = 1, r = 1/2). */
export function dpmpp2sAncestral(o: { eta?: number; sNoise?: number } = {}): Sampler {
  const { eta = 1, sNoise = 1 } = o;
  return async (denoise, x0, sigmas, opts) => {
    const x = x0.slice();
    const x2 = new Float32Array(x.length);
    for (let i = 0; i < sigmas.length - 1; i++) {
      checkAbort(opts.signal);
      const s = sigmas[i]!, sn = sigmas[i + 1]!;
      const den = await denoise(x, s);
      const [down, up] = ancestralStep(s, sn, eta);
      opts.onStep?.(i, s, den);
      if (down === 0) {
        const d = toD(x2, x, s, den);
        axpy(x, down - s, d);
      } else {
        const t = -Math.log(s), tNext = -Math.log(down);
        const h = tNext - t, sMid = t + h / 2;
        lincomb(x2, Math.exp(-sMid) / s, x, -Math.expm1(-h / 2), den);
        const den2 = await denoise(x2, Math.exp(-sMid));
        lincomb(x, down / s, x, -Math.expm1(-h), den2);
      }
      if (sn > 0) axpy(x, sNoise * up, opts.noise(s, sn));
    }
    return x;
  };
}
