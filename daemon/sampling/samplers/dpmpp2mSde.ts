import { axpy, checkAbort, lincomb } from '../math';
import type { Sampler } from './types';

/** k-diffusion sample_dpmpp_2m_sde (eta = 1; solver 'midpoint' = "DPM++ 2M SDE", 'heun' = "DPM++ 2M SDE Heun"). */
export function dpmpp2mSde(o: { eta?: number; sNoise?: number; solver?: 'midpoint' | 'heun' } = {}): Sampler {
  const { eta = 1, sNoise = 1, solver = 'midpoint' } = o;
  return async (denoise, x0, sigmas, opts) => {
    const x = x0.slice();
    let old: Float32Array | null = null;
    let hLast = 0, h = 0;
    for (let i = 0; i < sigmas.length - 1; i++) {
      checkAbort(opts.signal);
      const s = sigmas[i]!, sn = sigmas[i + 1]!;
      const den = await denoise(x, s);
      opts.onStep?.(i, s, den);
      if (sn === 0) {
        x.set(den);
      } else {
        h = Math.log(s) - Math.log(sn);
        const etaH = eta * h;
        const phi = -Math.expm1(-h - etaH);
        lincomb(x, (sn / s) * Math.exp(-etaH), x, phi, den);
        if (old !== null) {
          const r = hLast / h;
          const c = solver === 'heun' ? (phi / (-h - etaH) + 1) / r : (0.5 * phi) / r;
          for (let k = 0; k < x.length; k++) x[k]! += c * (den[k]! - old[k]!);
        }
        if (eta) axpy(x, sn * Math.sqrt(-Math.expm1(-2 * etaH)) * sNoise, opts.noise(s, sn));
      }
      old = den;
      hLast = h;
    }
    return x;
  };
}
