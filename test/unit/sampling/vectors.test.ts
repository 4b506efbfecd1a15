// samplers.json: k-diffusion trajectories (float64) replayed through our float32 samplers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { samplers, makeDenoiser, discreteSchedule, SD_DISCRETE } from '../../../daemon/sampling';
import { loadRef, flat, closeTo } from './ref';

const ref = loadRef('samplers.json');
const { mu, s } = ref;
const analytic = async (x: Float32Array, sigma: number) => {
  const out = new Float32Array(x.length);
  const a = (s * s) / (s * s + sigma * sigma), b = (sigma * sigma * mu) / (s * s + sigma * sigma);
  for (let i = 0; i < x.length; i++) out[i] = a * x[i]! + b;
  return out;
};

function replay(v: any, denoise: (x: Float32Array, sigma: number) => Promise<Float32Array>) {
  const calls: number[] = [];
  const seen: Float32Array[] = [];
  let k = 0;
  const noise = (sigma: number, sigmaNext: number) => {
    const c = v.noise_calls[k++];
    assert.ok(c, 'sampler asked for more noise than k-diffusion did');
    assert.ok(Math.abs(c.sigma - sigma) < 1e-9 && Math.abs(c.sigma_next - sigmaNext) < 1e-9, `noise call ${k} σ`);
    return Float32Array.from(flat(c.noise));
  };
  const wrapped = async (x: Float32Array, sigma: number) => { calls.push(sigma); return denoise(x, sigma); };
  return { calls, seen, run: samplers[v.a1111_name]!(wrapped, Float32Array.from(flat(v.x_init)), v.sigmas, {
    noise, onStep: (_i, _s, d) => seen.push(d.slice()) }), used: () => k };
}

for (const v of [...ref.vectors, ...ref.edge_cases]) {
  test(`vector ${v.id}`, async () => {
    const r = replay(v, analytic);
    const x = await r.run;
    const tol = v.steps_requested <= 3 && v.a1111_name.startsWith('DPM++ 2S') ? 2e-3 : 1e-4;
    assert.equal(closeTo(x, flat(v.x_final), tol, tol), undefined, 'x_final');
    assert.equal(r.calls.length, v.nfe);
    assert.equal(closeTo(r.calls, v.model_call_sigmas, 1e-9, 1e-9), undefined, 'model call sigmas');
    assert.equal(r.used(), v.noise_calls.length, 'noise calls consumed');
    r.seen.forEach((d, i) => assert.equal(closeTo(d, flat(v.denoised[i]), tol, tol), undefined, `denoised[${i}]`));
  });
}

test(`vector ${ref.extras.compvis_eps_wrapper.id}`, async () => {
  const v = ref.extras.compvis_eps_wrapper;
  const sched = discreteSchedule(SD_DISCRETE, 'float64');
  const ts: number[] = [];
  const model = async (xin: Float32Array, t: number) => {
    ts.push(t);
    const out = new Float32Array(xin.length);
    for (let i = 0; i < xin.length; i++) out[i] = 0.5 * xin[i]! + 1e-3 * t;
    return out;
  };
  const r = replay(v, makeDenoiser(sched, 'epsilon', model));
  const x = await r.run;
  assert.equal(closeTo(x, flat(v.x_final), 1e-4, 1e-4), undefined);
  v.eps_model_calls.forEach((c: any, i: number) => assert.ok(Math.abs(ts[i]! - c.t) < 1e-6, `t[${i}] ${ts[i]} vs ${c.t}`));
});
