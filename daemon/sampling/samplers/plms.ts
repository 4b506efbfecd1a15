// A1111 sd_samplers_timesteps_impl.plms in σ-space: pseudo linear multistep on eps = (x̃ − D)/σ,
// x̃' = x̃ + (σ' − σ)·e'. First step: pseudo improved Euler (2 model calls).
import { checkAbort } from '../math';
import type { Sampler } from './types';

export const plms: Sampler = async (denoise, x0, sigmas, opts) => {
  const x = x0.slice();
  const len = x.length;
  const old: Float32Array[] = [];
  const ep = new Float32Array(len), xp = new Float32Array(len);
  const epsOf = (xx: Float32Array, d: Float32Array, s: number) => {
    const e = new Float32Array(len);
    for (let k = 0; k < len; k++) e[k] = (xx[k]! - d[k]!) / s;
    return e;
  };
  for (let i = 0; i < sigmas.length - 1; i++) {
    checkAbort(opts.signal);
    const s = sigmas[i]!, sp = sigmas[i + 1]!;
    const e = epsOf(x, await denoise(x, s), s);
    if (old.length === 0) {
      for (let k = 0; k < len; k++) xp[k] = x[k]! + (sp - s) * e[k]!;
      const en = epsOf(xp, await denoise(xp, sp), sp);
      for (let k = 0; k < len; k++) ep[k] = (e[k]! + en[k]!) / 2;
    } else if (old.length === 1) {
      const o1 = old[old.length - 1]!;
      for (let k = 0; k < len; k++) ep[k] = (3 * e[k]! - o1[k]!) / 2;
    } else if (old.length === 2) {
      const o1 = old[old.length - 1]!, o2 = old[old.length - 2]!;
      for (let k = 0; k < len; k++) ep[k] = (23 * e[k]! - 16 * o1[k]! + 5 * o2[k]!) / 12;
    } else {
      const o1 = old[old.length - 1]!, o2 = old[old.length - 2]!, o3 = old[old.length - 3]!;
      for (let k = 0; k < len; k++) ep[k] = (55 * e[k]! - 59 * o1[k]! + 37 * o2[k]! - 9 * o3[k]!) / 24;
    }
    const den = new Float32Array(len);
    for (let k = 0; k < len; k++) { den[k] = x[k]! - s * ep[k]!; x[k] = x[k]! + (sp - s) * ep[k]!; }
    old.push(e);
    if (old.length >= 4) old.shift();
    opts.onStep?.(i, s, den);
  }
  return x;
};
