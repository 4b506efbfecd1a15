// UniPC multistep (A1111 modules/models/diffusion/uni_pc, predict_x0, variant bh1, order 3, lower_order_final)
// in σ-space: λ = −log σ, x̃_t = (σ_t/σ_s)·x̃ − (e^{−h} − 1)·m₀ − B(h)·Σ ρ·D. Steps run over the given sigmas;
// the last update is predictor-only (no final model call), as A1111.
import { checkAbort } from '../math';
import type { Sampler } from './types';

function solve(A: number[][], b: number[]): number[] {
  // A is n×n and b has n entries: every index below is in range.
  const n = b.length, M = A.map((r, i) => [...r, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    const pivot = M[p]!;
    M[p] = M[c]!;
    M[c] = pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const row = M[r]!, f = row[c]! / pivot[c]!;
      for (let k = c; k <= n; k++) row[k]! -= f * pivot[k]!;
    }
  }
  return M.map((r, i) => r[n]! / r[i]!);
}

export function unipc(o: { order?: number; variant?: 'bh1' | 'bh2'; lowerOrderFinal?: boolean } = {}): Sampler {
  const { variant = 'bh1', lowerOrderFinal = true } = o;
  return async (denoise, x0, sigmas, opts) => {
    const steps = sigmas.length - 1;
    const order = Math.min(o.order ?? 3, steps);
    const lam = (i: number) => -Math.log(sigmas[i]!);
    let x: Float32Array = x0.slice();
    const len = x.length;
    const models: Float32Array[] = [await denoise(x, sigmas[0]!)];
    const idx: number[] = [0];
    opts.onStep?.(0, sigmas[0]!, models[0]!);
    for (let step = 1; step <= steps; step++) {
      checkAbort(opts.signal);
      const stepOrder = step < order ? step : lowerOrderFinal ? Math.min(order, steps + 1 - step) : order;
      const useCorrector = step !== steps;
      const m0 = models[models.length - 1]!, i0 = idx[idx.length - 1]!;
      const h = lam(step) - lam(i0);
      const rks: number[] = [], D1s: Float32Array[] = [];
      for (let k = 1; k < stepOrder; k++) {
        const mi = models[models.length - 1 - k]!, rk = (lam(idx[idx.length - 1 - k]!) - lam(i0)) / h;
        rks.push(rk);
        const D = new Float32Array(len);
        for (let q = 0; q < len; q++) D[q] = (mi[q]! - m0[q]!) / rk;
        D1s.push(D);
      }
      rks.push(1);
      const hh = -h, hPhi1 = Math.expm1(hh);
      let hPhiK = hPhi1 / hh - 1, fact = 1;
      const Bh = variant === 'bh1' ? hh : Math.expm1(hh);
      const R: number[][] = [], b: number[] = [];
      for (let k = 1; k <= stepOrder; k++) {
        R.push(rks.map((r) => r ** (k - 1)));
        b.push((hPhiK * fact) / Bh);
        fact *= k + 1;
        hPhiK = hPhiK / hh - 1 / fact;
      }
      const rhosP = D1s.length ? (stepOrder === 2 ? [0.5] : solve(R.slice(0, -1).map((r) => r.slice(0, -1)), b.slice(0, -1))) : [];
      const rhosC = useCorrector ? (stepOrder === 1 ? [0.5] : solve(R, b)) : [];
      const ratio = sigmas[step]! / sigmas[i0]!;
      const xt_ = new Float32Array(len);
      for (let q = 0; q < len; q++) xt_[q] = ratio * x[q]! - hPhi1 * m0[q]!;
      const xt = new Float32Array(len);
      for (let q = 0; q < len; q++) {
        let pred = 0;
        for (let k = 0; k < D1s.length; k++) pred += rhosP[k]! * D1s[k]![q]!;
        xt[q] = xt_[q]! - Bh * pred;
      }
      let mt: Float32Array | null = null;
      if (useCorrector) {
        mt = await denoise(xt, sigmas[step]!);
        const last = rhosC[rhosC.length - 1]!;
        for (let q = 0; q < len; q++) {
          let corr = 0;
          for (let k = 0; k < D1s.length; k++) corr += rhosC[k]! * D1s[k]![q]!;
          xt[q] = xt_[q]! - Bh * (corr + last * (mt[q]! - m0[q]!));
        }
      }
      x = xt;
      if (mt) opts.onStep?.(step, sigmas[step]!, mt);
      models.push(mt ?? m0);
      idx.push(step);
      if (models.length > order) { models.shift(); idx.shift(); }
    }
    return x;
  };
}
