// A1111's schedule types (modules/sd_schedulers.py) as pure functions of (n, model sigma table).
// Each returns n sigmas + a final 0, except KL Optimal (n+1 values ending at σ_min) and DDIM (count may differ).
import { appendZero, linspace } from './math';
import { sigmaToT, tToSigma } from './discrete';
import { betaPpf } from './betaDist';

export interface ScheduleModel {
  /** Ascending discrete sigma table (k-diffusion `model_wrap.sigmas`). */
  sigmas: Float64Array;
  /** Align Your Steps picks the SDXL list. */
  isSdxl?: boolean;
}
export type Schedule = (n: number, model: ScheduleModel) => Float64Array;

export interface ScheduleOptions {
  sigmaMin?: number;
  sigmaMax?: number;
  rho?: number;
  betaAlpha?: number;
  betaBeta?: number;
}

function bounds(m: ScheduleModel, o: ScheduleOptions): [min: number, max: number] {
  const first = m.sigmas[0], last = m.sigmas[m.sigmas.length - 1];
  if (first === undefined || last === undefined) throw new Error('schedule: the model sigma table is empty');
  return [o.sigmaMin || first, o.sigmaMax || last];
}
const logTable = (m: ScheduleModel) => m.sigmas.map(Math.log);

/** CompVisDenoiser.get_sigmas: t = linspace(999, 0, n), t_to_sigma, + 0. */
export function uniform(n: number, m: ScheduleModel): Float64Array {
  const log = logTable(m);
  const t = linspace(m.sigmas.length - 1, 0, n);
  return appendZero(t.map((x) => tToSigma(log, x)));
}

export function karras(n: number, m: ScheduleModel, o: ScheduleOptions = {}): Float64Array {
  const [smin, smax] = bounds(m, o);
  const rho = o.rho || 7;
  const minInv = smin ** (1 / rho), maxInv = smax ** (1 / rho);
  return appendZero(linspace(0, 1, n).map((r) => (maxInv + r * (minInv - maxInv)) ** rho));
}

export function exponential(n: number, m: ScheduleModel, o: ScheduleOptions = {}): Float64Array {
  const [smin, smax] = bounds(m, o);
  return appendZero(linspace(Math.log(smax), Math.log(smin), n).map(Math.exp));
}

export function polyexponential(n: number, m: ScheduleModel, o: ScheduleOptions = {}): Float64Array {
  const [smin, smax] = bounds(m, o);
  const rho = o.rho || 1;
  const lmin = Math.log(smin), lmax = Math.log(smax);
  return appendZero(linspace(1, 0, n).map((r) => Math.exp(r ** rho * (lmax - lmin) + lmin)));
}

function tSpaced(n: number, m: ScheduleModel, o: ScheduleOptions, count: number): Float64Array {
  const [smin, smax] = bounds(m, o);
  const log = logTable(m);
  const t = linspace(sigmaToT(log, smax), sigmaToT(log, smin), count).subarray(0, n);
  return appendZero(t.map((x) => tToSigma(log, x)));
}
export const sgmUniform = (n: number, m: ScheduleModel, o: ScheduleOptions = {}) => tSpaced(n, m, o, n + 1);
export const normal = (n: number, m: ScheduleModel, o: ScheduleOptions = {}) => tSpaced(n, m, o, n);

export function simple(n: number, m: ScheduleModel): Float64Array {
  const len = m.sigmas.length, ss = len / n;
  const out = new Float64Array(n);
  for (let x = 0; x < n; x++) out[x] = m.sigmas[len - 1 - Math.trunc(x * ss)]!;
  return appendZero(out);
}

export function ddim(n: number, m: ScheduleModel): Float64Array {
  const len = m.sigmas.length, ss = Math.max(Math.floor(len / n), 1);
  const sig: number[] = [];
  for (let x = 1; x < len; x += ss) sig.push(m.sigmas[x]!);
  return appendZero(sig.reverse());
}

export function klOptimal(n: number, m: ScheduleModel, o: ScheduleOptions = {}): Float64Array {
  const [smin, smax] = bounds(m, o);
  const amin = Math.atan(smin), amax = Math.atan(smax);
  const out = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) out[i] = Math.tan((i / n) * amin + (1 - i / n) * amax);
  return out;
}

const AYS_SD15 = [14.615, 6.475, 3.861, 2.697, 1.886, 1.396, 0.963, 0.652, 0.399, 0.152, 0.029];
const AYS_SDXL = [14.615, 6.315, 3.771, 2.181, 1.342, 0.862, 0.555, 0.380, 0.234, 0.113, 0.029];

export function alignYourSteps(n: number, m: ScheduleModel): Float64Array {
  const base = m.isSdxl ? AYS_SDXL : AYS_SD15;
  if (n === base.length) return appendZero(base);
  // loglinear_interp: np.interp over reversed log sigmas, then reversed back
  const k = base.length;
  const ys = base.map(Math.log).reverse();
  const xs = linspace(0, 1, k);
  const nx = linspace(0, 1, n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = nx[i]!;
    let j = 0;
    while (j < k - 2 && x > xs[j + 1]!) j++;
    const w = (x - xs[j]!) / (xs[j + 1]! - xs[j]!);
    out[n - 1 - i] = Math.exp(x >= xs[k - 1]! ? ys[k - 1]! : ys[j]! + w * (ys[j + 1]! - ys[j]!));
  }
  return appendZero(out);
}

export function beta(n: number, m: ScheduleModel, o: ScheduleOptions = {}): Float64Array {
  const [smin, smax] = bounds(m, o);
  const a = o.betaAlpha ?? 0.6, b = o.betaBeta ?? 0.6;
  return appendZero(linspace(0, 1, n).map((x) => smin + betaPpf(1 - x, a, b) * (smax - smin)));
}

/** Keyed by A1111 label, UI order. "Automatic" maps to Uniform here (the sampler-specific choice is in samplerSigmas). */
export const schedules: Record<string, (n: number, model: ScheduleModel) => Float64Array> = {
  Automatic: uniform,
  Uniform: uniform,
  Karras: (n, m) => karras(n, m),
  Exponential: (n, m) => exponential(n, m),
  Polyexponential: (n, m) => polyexponential(n, m),
  'SGM Uniform': (n, m) => sgmUniform(n, m),
  'KL Optimal': (n, m) => klOptimal(n, m),
  'Align Your Steps': alignYourSteps,
  Simple: simple,
  Normal: (n, m) => normal(n, m),
  DDIM: ddim,
  Beta: (n, m) => beta(n, m),
};

export const schedulerNames: string[] = Object.keys(schedules);

/** Internal A1111 names (sd_schedulers `name`) and aliases → label. */
export const schedulerAliases: Record<string, string> = {
  automatic: 'Automatic', uniform: 'Uniform', karras: 'Karras', exponential: 'Exponential',
  polyexponential: 'Polyexponential', sgm_uniform: 'SGM Uniform', SGMUniform: 'SGM Uniform',
  kl_optimal: 'KL Optimal', align_your_steps: 'Align Your Steps', simple: 'Simple', normal: 'Normal',
  ddim: 'DDIM', beta: 'Beta',
};
