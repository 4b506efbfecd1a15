// Small in-place typed-array ops for the samplers' hot loops (no allocation unless the name says so).

export type Vec = Float32Array;

export function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}

/** out[i] = a·x[i] + b·y[i] */
export function lincomb(out: Vec, a: number, x: ArrayLike<number>, b: number, y: ArrayLike<number>): Vec {
  for (let i = 0; i < out.length; i++) out[i] = a * x[i]! + b * y[i]!;
  return out;
}

/** out[i] = a·x[i] + b·y[i] + c·z[i] */
export function lincomb3(out: Vec, a: number, x: ArrayLike<number>, b: number, y: ArrayLike<number>, c: number, z: ArrayLike<number>): Vec {
  for (let i = 0; i < out.length; i++) out[i] = a * x[i]! + b * y[i]! + c * z[i]!;
  return out;
}

/** y[i] += a·x[i] */
export function axpy(y: Vec, a: number, x: ArrayLike<number>): Vec {
  for (let i = 0; i < y.length; i++) y[i]! += a * x[i]!;
  return y;
}

/** d = (x − denoised)/σ (A1111's `to_d`), into `out`. */
export function toD(out: Vec, x: ArrayLike<number>, sigma: number, denoised: ArrayLike<number>): Vec {
  const inv = 1 / sigma;
  for (let i = 0; i < out.length; i++) out[i] = (x[i]! - denoised[i]!) * inv;
  return out;
}

/** k-diffusion `get_ancestral_step`: [sigma_down, sigma_up]. */
export function ancestralStep(sigmaFrom: number, sigmaTo: number, eta = 1): [number, number] {
  if (!eta) return [sigmaTo, 0];
  const up = Math.min(sigmaTo, eta * Math.sqrt((sigmaTo ** 2 * (sigmaFrom ** 2 - sigmaTo ** 2)) / sigmaFrom ** 2));
  return [Math.sqrt(sigmaTo ** 2 - up ** 2), up];
}

/** torch.linspace(start, end, steps) (float64: the symmetric form torch uses). */
export function linspace(start: number, end: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  if (steps === 1) { out[0] = start; return out; }
  const step = (end - start) / (steps - 1);
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  return out;
}

export function appendZero(s: ArrayLike<number>): Float64Array {
  const out = new Float64Array(s.length + 1);
  for (let i = 0; i < s.length; i++) out[i] = s[i]!;
  return out;
}
