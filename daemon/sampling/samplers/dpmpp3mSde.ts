import { axpy, checkAbort, lincomb } from '../math';
import type { Sampler } from './types';

/** k-diffusion sample_dpmpp_3m_sde (eta = 1). */
export function dpmpp3mSde(o: { eta?: number; sNoise?: number } = {}): Sampler {
  const { eta = 1, sNoise = 1 } = o;
  return async (denoise, x0, sigmas, opts) => {
    const x = x0.slice();
    let den1: Float32Array | null = null, den2: Float32Array | null = null;
    let h = 0, h1 = 0, h2 = 0;
    for (let i = 0; i < sigmas.length - 1; i++) {
      checkAbort(opts.signal);
      const s = sigmas[i]!, sn = sigmas[i + 1]!;
      const den = await denoise(x, s);
      opts.onStep?.(i, s, den);
      if (sn === 0) {
        x.set(den);
      } else {
        h = Math.log(s) - Math.log(sn);
        const hEta = h * (eta + 1);
        lincomb(x, Math.exp(-hEta), x, -Math.expm1(-hEta), den);
        const phi2 = Math.expm1(-hEta) / hEta + 1;
        if (den2 !== null && den1 !== null) {
          const r0 = h1 / h, r1 = h2 / h, phi3 = phi2 / hEta - 0.5;
          for (let k = 0; k < x.length; k++) {
            const d10 = (den[k]! - den1[k]!) / r0, d11 = (den1[k]! - den2[k]!) / r1;
            const d1 = d10 + ((d10 - d11) * r0) / (r0 + r1), d2 = (d10 - d11) / (r0 + r1);
            x[k]! += phi2 * d1 - phi3 * d2;
          }
        } else if (den1 !== null) {
          const r = h1 / h;
          for (let k = 0; k < x.length; k++) x[k]! += (phi2 * (den[k]! - den1[k]!)) / r;
        }
        if (eta) axpy(x, sn * Math.sqrt(-Math.expm1(-2 * h * eta)) * sNoise, opts.noise(s, sn));
      }
      den2 = den1; den1 = den;
      h2 = h1; h1 = h;
    }
    return x;
  };
}
