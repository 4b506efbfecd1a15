import { ancestralStep, axpy, checkAbort, lincomb, toD } from '../math';
import type { Sampler } from './types';

/** k-diffusion sample_dpmpp_sde (eta = 1, r = 1/2); two noise draws per step (Brownian in A1111). */
export function dpmppSde(o: { eta?: number; sNoise?: number; r?: number } = {}): Sampler {
  const { eta = 1, sNoise = 1, r = 0.5 } = o;
  return async (denoise, x0, sigmas, opts) => {
    const x = x0.slice();
    const x2 = new Float32Array(x.length), dd = new Float32Array(x.length);
    const sigmaFn = (t: number) => Math.exp(-t), tFn = (s: number) => -Math.log(s);
    for (let i = 0; i < sigmas.length - 1; i++) {
      checkAbort(opts.signal);
      const s = sigmas[i]!, sn = sigmas[i + 1]!;
      const den = await denoise(x, s);
      opts.onStep?.(i, s, den);
      if (sn === 0) {
        axpy(x, sn - s, toD(dd, x, s, den));
        continue;
      }
      const t = tFn(s), tNext = tFn(sn), h = tNext - t, sMid = t + h * r, fac = 1 / (2 * r);
      // step 1
      let [sd, su] = ancestralStep(sigmaFn(t), sigmaFn(sMid), eta);
      const s_ = tFn(sd);
      lincomb(x2, sigmaFn(s_) / sigmaFn(t), x, -Math.expm1(t - s_), den);
      axpy(x2, sNoise * su, opts.noise(sigmaFn(t), sigmaFn(sMid)));
      const den2 = await denoise(x2, sigmaFn(sMid));
      // step 2
      [sd, su] = ancestralStep(sigmaFn(t), sigmaFn(tNext), eta);
      const tNext_ = tFn(sd);
      lincomb(dd, 1 - fac, den, fac, den2);
      lincomb(x, sigmaFn(tNext_) / sigmaFn(t), x, -Math.expm1(t - tNext_), dd);
      axpy(x, sNoise * su, opts.noise(sigmaFn(t), sigmaFn(tNext)));
    }
    return x;
  };
}
