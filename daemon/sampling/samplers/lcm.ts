import { axpy, checkAbort } from '../math';
import type { Sampler } from './types';

/** A1111 sd_samplers_lcm.sample_lcm: x = D(x, σ); re-noise to σ_next with a fresh draw. */
export const lcm: Sampler = async (denoise, x0, sigmas, opts) => {
  let x: Float32Array = x0.slice();
  for (let i = 0; i < sigmas.length - 1; i++) {
    checkAbort(opts.signal);
    const s = sigmas[i]!, sn = sigmas[i + 1]!;
    const den = await denoise(x, s);
    opts.onStep?.(i, s, den);
    x = den.slice();
    if (sn > 0) axpy(x, sn, opts.noise(s, sn));
  }
  return x;
};
