import { axpy, checkAbort, toD } from '../math';
import type { Sampler } from './types';

// 4-point Gauss–Legendre: exact for the degree ≤ 3 Lagrange basis (scipy quad gives the same to 1e-14).
const GL_X = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const GL_W = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];

/** k-diffusion linear_multistep_coeff: ∫_{t_i}^{t_{i+1}} Π_{k≠j} (τ − t_{i−k})/(t_{i−j} − t_{i−k}) dτ. */
export function lmsCoeff(order: number, t: ArrayLike<number>, i: number, j: number): number {
  const a = t[i]!, b = t[i + 1]!, half = (b - a) / 2, mid = (a + b) / 2;
  let sum = 0;
  for (let q = 0; q < 4; q++) {
    const tau = mid + half * GL_X[q]!;
    let prod = 1;
    for (let k = 0; k < order; k++) if (k !== j) prod *= (tau - t[i - k]!) / (t[i - j]! - t[i - k]!);
    sum += GL_W[q]! * prod;
  }
  return sum * half;
}

/** k-diffusion sample_lms (order 4). */
export function lms(order = 4): Sampler {
  return async (denoise, x0, sigmas, opts) => {
    const x = x0.slice();
    const ds: Float32Array[] = [];
    for (let i = 0; i < sigmas.length - 1; i++) {
      checkAbort(opts.signal);
      const den = await denoise(x, sigmas[i]!);
      const d = ds.length >= order ? ds.shift()! : new Float32Array(x.length);
      ds.push(toD(d, x, sigmas[i]!, den));
      opts.onStep?.(i, sigmas[i]!, den);
      const cur = Math.min(i + 1, order);
      for (let j = 0; j < cur; j++) axpy(x, lmsCoeff(cur, sigmas, i, j), ds[ds.length - 1 - j]!);
    }
    return x;
  };
}
