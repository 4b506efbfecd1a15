import { checkAbort, toD, axpy } from '../math';
import type { Sampler } from './types';

/** k-diffusion sample_euler (A1111 defaults s_churn = 0, s_tmin = 0, s_tmax = ∞, s_noise = 1). */
export function euler(o: { sChurn?: number; sTmin?: number; sTmax?: number; sNoise?: number } = {}): Sampler {
  const { sChurn = 0, sTmin = 0, sTmax = Infinity, sNoise = 1 } = o;
  return async (denoise, x0, sigmas, opts) => {
    const x = x0.slice();
    const d = new Float32Array(x.length);
    const n = sigmas.length - 1;
    for (let i = 0; i < n; i++) {
      checkAbort(opts.signal);
      const s = sigmas[i]!;
      const gamma = sChurn > 0 && sTmin <= s && s <= sTmax ? Math.min(sChurn / n, Math.SQRT2 - 1) : 0;
      const sHat = s * (gamma + 1);
      if (gamma > 0) axpy(x, sNoise * Math.sqrt(sHat ** 2 - s ** 2), opts.noise(s, sigmas[i + 1]!));
      const den = await denoise(x, sHat);
      opts.onStep?.(i, s, den);
      toD(d, x, sHat, den);
      axpy(x, sigmas[i + 1]! - sHat, d);
    }
    return x;
  };
}
