import { ancestralStep, axpy, checkAbort, toD } from '../math';
import type { Sampler } from './types';

/** k-diffusion sample_euler_ancestral (eta = 1, s_noise = 1). */
export function eulerAncestral(o: { eta?: number; sNoise?: number } = {}): Sampler {
  const { eta = 1, sNoise = 1 } = o;
  return async (denoise, x0, sigmas, opts) => {
    const x = x0.slice();
    const d = new Float32Array(x.length);
    for (let i = 0; i < sigmas.length - 1; i++) {
      checkAbort(opts.signal);
      const s = sigmas[i]!, sn = sigmas[i + 1]!;
      const den = await denoise(x, s);
      const [down, up] = ancestralStep(s, sn, eta);
      opts.onStep?.(i, s, den);
      toD(d, x, s, den);
      axpy(x, down - s, d);
      if (sn > 0) axpy(x, sNoise * up, opts.noise(s, sn));
    }
    return x;
  };
}
