// k-diffusion DPMSolver (sample_dpm_fast, sample_dpm_adaptive): eps-form DPM-Solver-1/2/3 in t = −log σ.
// A1111 passes eta = 1 (opts.eta_ancestral), σ_max = sigmas[0], σ_min = sigmas[-2], n = len(sigmas) − 1;
// the result is at σ_min (no final step to 0).
import { ancestralStep, checkAbort } from '../math';
import type { Denoise, Sampler, SamplerOptions } from './types';

const sig = (t: number) => Math.exp(-t);
const tOf = (s: number) => -Math.log(s);

class Solver {
  nfe = 0;
  constructor(private readonly denoise: Denoise, private readonly len: number) {}
  async eps(cache: Map<string, Float32Array>, key: string, x: Float32Array, t: number): Promise<Float32Array> {
    const hit = cache.get(key);
    if (hit) return hit;
    const s = sig(t);
    const den = await this.denoise(x, s);
    this.nfe++;
    const e = new Float32Array(this.len);
    for (let i = 0; i < e.length; i++) e[i] = (x[i]! - den[i]!) / s;
    cache.set(key, e);
    return e;
  }
  async step1(x: Float32Array, t: number, tn: number, c: Map<string, Float32Array>): Promise<Float32Array> {
    const e = await this.eps(c, 'eps', x, t);
    const k = sig(tn) * Math.expm1(tn - t);
    const out = new Float32Array(this.len);
    for (let i = 0; i < out.length; i++) out[i] = x[i]! - k * e[i]!;
    return out;
  }
  async step2(x: Float32Array, t: number, tn: number, c: Map<string, Float32Array>, r1 = 0.5): Promise<Float32Array> {
    const h = tn - t;
    const e = await this.eps(c, 'eps', x, t);
    const s1 = t + r1 * h;
    const u1 = new Float32Array(this.len), k1 = sig(s1) * Math.expm1(r1 * h);
    for (let i = 0; i < u1.length; i++) u1[i] = x[i]! - k1 * e[i]!;
    const e1 = await this.eps(c, 'eps_r1', u1, s1);
    const a = sig(tn) * Math.expm1(h), b = (sig(tn) / (2 * r1)) * Math.expm1(h);
    for (let i = 0; i < u1.length; i++) u1[i] = x[i]! - a * e[i]! - b * (e1[i]! - e[i]!);
    return u1;
  }
  async step3(x: Float32Array, t: number, tn: number, c: Map<string, Float32Array>, r1 = 1 / 3, r2 = 2 / 3): Promise<Float32Array> {
    const h = tn - t;
    const e = await this.eps(c, 'eps', x, t);
    const s1 = t + r1 * h, s2 = t + r2 * h;
    const u = new Float32Array(this.len), k1 = sig(s1) * Math.expm1(r1 * h);
    for (let i = 0; i < u.length; i++) u[i] = x[i]! - k1 * e[i]!;
    const e1 = await this.eps(c, 'eps_r1', u, s1);
    const a2 = sig(s2) * Math.expm1(r2 * h), b2 = sig(s2) * (r2 / r1) * (Math.expm1(r2 * h) / (r2 * h) - 1);
    for (let i = 0; i < u.length; i++) u[i] = x[i]! - a2 * e[i]! - b2 * (e1[i]! - e[i]!);
    const e2 = await this.eps(c, 'eps_r2', u, s2);
    const a = sig(tn) * Math.expm1(h), b = (sig(tn) / r2) * (Math.expm1(h) / h - 1);
    for (let i = 0; i < u.length; i++) u[i] = x[i]! - a * e[i]! - b * (e2[i]! - e[i]!);
    return u;
  }
}

function denoisedOf(x: Float32Array, s: number, e: Float32Array): Float32Array {
  const d = new Float32Array(x.length);
  for (let i = 0; i < d.length; i++) d[i] = x[i]! - s * e[i]!;
  return d;
}

/** sample_dpm_fast(σ_min = sigmas[-2], σ_max = sigmas[0], n = len − 1), eta = 1 as A1111. */
export function dpmFast(o: { eta?: number; sNoise?: number } = {}): Sampler {
  const { eta = 1, sNoise = 1 } = o;
  return async (denoise, x0, sigmas, opts: SamplerOptions) => {
    const nfe = sigmas.length - 1;
    const tStart = tOf(sigmas[0]!), tEnd = tOf(sigmas[sigmas.length - 2]!);
    const solver = new Solver(denoise, x0.length);
    let x: Float32Array = x0.slice();
    const m = Math.floor(nfe / 3) + 1;
    const ts = Array.from({ length: m + 1 }, (_, i) => (m === 0 ? tStart : tStart + ((tEnd - tStart) * i) / m));
    const orders = nfe % 3 === 0 ? [...Array(m - 2).fill(3), 2, 1] : [...Array(m - 1).fill(3), nfe % 3];
    for (let i = 0; i < orders.length; i++) {
      checkAbort(opts.signal);
      const cache = new Map<string, Float32Array>();
      const t = ts[i]!, tn = ts[i + 1]!;
      let tn_ = tn, su = 0;
      if (eta) {
        const [sd] = ancestralStep(sig(t), sig(tn), eta);
        tn_ = Math.min(tEnd, tOf(sd));
        su = Math.sqrt(Math.max(0, sig(tn) ** 2 - sig(tn_) ** 2));
      }
      const e = await solver.eps(cache, 'eps', x, t);
      opts.onStep?.(i, sig(t), denoisedOf(x, sig(t), e));
      x = orders[i] === 1 ? await solver.step1(x, t, tn_, cache) : orders[i] === 2 ? await solver.step2(x, t, tn_, cache) : await solver.step3(x, t, tn_, cache);
      const n = opts.noise(sig(t), sig(tn));
      for (let k = 0; k < x.length; k++) x[k]! += su * sNoise * n[k]!;
    }
    return x;
  };
}

/** sample_dpm_adaptive (order 3, rtol .05, atol .0078, h_init .05, I-controller), eta = 1 as A1111. */
export function dpmAdaptive(o: { eta?: number; sNoise?: number; order?: 2 | 3; rtol?: number; atol?: number; hInit?: number;
  pcoeff?: number; icoeff?: number; dcoeff?: number; acceptSafety?: number } = {}): Sampler {
  const { eta = 1, sNoise = 1, order = 3, rtol = 0.05, atol = 0.0078, hInit = 0.05, pcoeff = 0, icoeff = 1, dcoeff = 0, acceptSafety = 0.81 } = o;
  return async (denoise, x0, sigmas, opts) => {
    const tStart = tOf(sigmas[0]!), tEnd = tOf(sigmas[sigmas.length - 2]!);
    const solver = new Solver(denoise, x0.length);
    const forward = tEnd > tStart;
    let x: Float32Array = x0.slice(), xPrev: Float32Array = x;
    let s = tStart;
    // PIDStepSizeController
    let h = Math.abs(hInit) * (forward ? 1 : -1);
    const ord = eta ? 1.5 : order;
    const b1 = (pcoeff + icoeff + dcoeff) / ord, b2 = -(pcoeff + 2 * dcoeff) / ord, b3 = dcoeff / ord;
    let errs: number[] = [];
    let step = 0;
    while (forward ? s < tEnd - 1e-5 : s > tEnd + 1e-5) {
      checkAbort(opts.signal);
      const cache = new Map<string, Float32Array>();
      const t = forward ? Math.min(tEnd, s + h) : Math.max(tEnd, s + h);
      let t_ = t, su = 0;
      if (eta) {
        const [sd] = ancestralStep(sig(s), sig(t), eta);
        t_ = Math.min(tEnd, tOf(sd));
        su = Math.sqrt(Math.max(0, sig(t) ** 2 - sig(t_) ** 2));
      }
      const e = await solver.eps(cache, 'eps', x, s);
      const denoised = denoisedOf(x, sig(s), e);
      let low: Float32Array, high: Float32Array;
      if (order === 2) {
        low = await solver.step1(x, s, t_, cache);
        high = await solver.step2(x, s, t_, cache);
      } else {
        low = await solver.step2(x, s, t_, cache, 1 / 3);
        high = await solver.step3(x, s, t_, cache);
      }
      let sq = 0;
      for (let k = 0; k < x.length; k++) {
        const delta = Math.max(atol, rtol * Math.max(Math.abs(low[k]!), Math.abs(xPrev[k]!)));
        const q = (low[k]! - high[k]!) / delta;
        sq += q * q;
      }
      const error = Math.sqrt(sq) / Math.sqrt(x.length);
      const inv = 1 / (error + 1e-8);
      if (!errs.length) errs = [inv, inv, inv];
      errs[0] = inv;
      const factor = 1 + Math.atan(errs[0] ** b1 * errs[1]! ** b2 * errs[2]! ** b3 - 1);
      const accept = factor >= acceptSafety;
      if (accept) { errs[2] = errs[1]!; errs[1] = errs[0]; }
      h *= factor;
      if (accept) {
        xPrev = low;
        const n = opts.noise(sig(s), sig(t));
        for (let k = 0; k < high.length; k++) high[k]! += su * sNoise * n[k]!;
        x = high;
        s = t;
      }
      opts.onStep?.(step++, sig(s), denoised);
    }
    return x;
  };
}
