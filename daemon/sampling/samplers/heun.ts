import { axpy, checkAbort, lincomb, toD } from '../math';
import type { Sampler } from './types';

/** k-diffusion sample_heun (s_churn = 0 by default, as A1111). */
export function heun(o: { sChurn?: number; sTmin?: number; sTmax?: number; sNoise?: number } = {}): Sampler {
  const { sChurn = 0, sTmin = 0, sTmax = Infinity, sNoise = 1 } = o;
  return async (denoise, x0, sigmas, opts) => {
    const x = x0.slice();
    const d = new Float32Array(x.length), d2 = new Float32Array(x.length), x2 = new Float32Array(x.length);
    const n = sigmas.length - 1;
    for (let i = 0; i < n; i++) {
      checkAbort(opts.signal);
      const s = sigmas[i]!, sn = sigmas[i + 1]!;
      const gamma = sChurn > 0 && sTmin <= s && s <= sTmax ? Math.min(sChurn / n, Math.SQRT2 - 1) : 0;
      const sHat = s * (gamma + 1);
      if (gamma > 0) axpy(x, sNoise * Math.sqrt(sHat ** 2 - s ** 2), opts.noise(s, sn));
      const den = await denoise(x, sHat);
      toD(d, x, sHat, den);
      opts.onStep?.(i, s, den);
      const dt = sn - sHat;
      if (sn === 0) {
        axpy(x, dt, d);
      } else {
        lincomb(x2, 1, x, dt, d);
        toD(d2, x2, sn, await denoise(x2, sn));
        lincomb(x, 1, x, dt / 2, d);
        axpy(x, dt / 2, d2);
      }
    }
    return x;
  };
}
