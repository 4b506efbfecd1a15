import { ancestralStep, axpy, checkAbort, lincomb, toD } from '../math';
import type { Sampler } from './types';

/** k-diffusion sample_dpm_2_ancestral (eta = 1). */
export function dpm2Ancestral(o: { eta?: number; sNoise?: number } = {}): Sampler {
  const { eta = 1, sNoise = 1 } = o;
  return async (denoise, x0, sigmas, opts) => {
    const x = x0.slice();
    const d = new Float32Array(x.length), x2 = new Float32Array(x.length);
    for (let i = 0; i < sigmas.length - 1; i++) {
      checkAbort(opts.signal);
      const s = sigmas[i]!, sn = sigmas[i + 1]!;
      const den = await denoise(x, s);
      const [down, up] = ancestralStep(s, sn, eta);
      opts.onStep?.(i, s, den);
      toD(d, x, s, den);
      if (down === 0) {
        axpy(x, down - s, d);
      } else {
        const sMid = Math.exp((Math.log(s) + Math.log(down)) / 2);
        lincomb(x2, 1, x, sMid - s, d);
        toD(d, x2, sMid, await denoise(x2, sMid));
        axpy(x, down - s, d);
        axpy(x, sNoise * up, opts.noise(s, sn));
      }
    }
    return x;
  };
}
