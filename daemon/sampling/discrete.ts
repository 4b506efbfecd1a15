// The SD1.x/SD2 discrete sigma table (ldm register_schedule + k-diffusion DiscreteSchedule) and σ↔t.
import { linspace } from './math';

export interface DiscreteConfig {
  beta_start: number;
  beta_end: number;
  beta_schedule: string;
  num_train_timesteps: number;
}

export interface DiscreteSchedule {
  /** Ascending sigma table (1000 entries for SD). */
  sigmas: Float64Array;
  alphasCumprod: Float64Array;
  /** k-diffusion `sigma_to_t` with quantize off: fractional t. */
  sigmaToT(s: number): number;
  /** k-diffusion `t_to_sigma`: log-linear interpolation of the table. */
  tToSigma(t: number): number;
}

function betas(config: DiscreteConfig): Float64Array {
  const n = config.num_train_timesteps;
  switch (config.beta_schedule) {
    case 'scaled_linear': {
      const b = linspace(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), n);
      for (let i = 0; i < n; i++) b[i] = b[i]! * b[i]!;
      return b;
    }
    case 'linear':
      return linspace(config.beta_start, config.beta_end, n);
    case 'squaredcos_cap_v2': {
      const f = (t: number) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
      const b = new Float64Array(n);
      for (let i = 0; i < n; i++) b[i] = Math.min(1 - f((i + 1) / n) / f(i / n), 0.999);
      return b;
    }
    default:
      throw new Error(`unknown beta_schedule "${config.beta_schedule}" (valid: scaled_linear, linear, squaredcos_cap_v2)`);
  }
}

/**
 * As A1111 builds it: float64 betas and cumulative product, ᾱ stored as float32 (LDM `to_torch`), then
 * sigmas = sqrt((1−ᾱ)/ᾱ). `precision: 'float64'` skips the float32 storage (exact maths, for tests).
 */
export function discreteSchedule(config: DiscreteConfig, precision: 'a1111' | 'float64' = 'a1111'): DiscreteSchedule {
  const b = betas(config);
  const n = b.length;
  const ac = new Float64Array(n);
  let p = 1;
  for (let i = 0; i < n; i++) {
    p *= 1 - b[i]!;
    ac[i] = precision === 'a1111' ? Math.fround(p) : p;
  }
  const sigmas = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = Math.fround;
    // A1111: ((1 − ᾱ)/ᾱ)^0.5 in float32 torch ops
    sigmas[i] = precision === 'a1111' ? f(Math.sqrt(f(f(1 - ac[i]!) / ac[i]!))) : Math.sqrt((1 - ac[i]!) / ac[i]!);
  }
  return fromSigmas(sigmas, ac);
}

/** σ↔t for any ascending sigma table. */
export function fromSigmas(sigmas: Float64Array, alphasCumprod?: Float64Array): DiscreteSchedule {
  const logS = new Float64Array(sigmas.length);
  for (let i = 0; i < sigmas.length; i++) logS[i] = Math.log(sigmas[i]!);
  const ac = alphasCumprod ?? sigmas.map((s) => 1 / (1 + s * s));
  return { sigmas, alphasCumprod: ac, sigmaToT: (s) => sigmaToT(logS, s), tToSigma: (t) => tToSigma(logS, t) };
}

export function sigmaToT(logSigmas: ArrayLike<number>, sigma: number): number {
  const ls = Math.log(sigma);
  const n = logSigmas.length;
  // last index with ls >= logSigmas[i] (0 when none), clamped to n−2
  let low = 0;
  for (let i = 0; i < n; i++) if (ls - logSigmas[i]! >= 0) low = i;
  if (low > n - 2) low = n - 2;
  const lo = logSigmas[low]!, hi = logSigmas[low + 1]!;
  const w = Math.min(1, Math.max(0, (lo - ls) / (lo - hi)));
  return (1 - w) * low + w * (low + 1);
}

export function tToSigma(logSigmas: ArrayLike<number>, t: number): number {
  const lo = Math.floor(t), hi = Math.ceil(t), w = t - lo;
  return Math.exp((1 - w) * logSigmas[lo]! + w * logSigmas[hi]!);
}

/** The SD1.x / SD2 training schedule. */
export const SD_DISCRETE: DiscreteConfig = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000 };
