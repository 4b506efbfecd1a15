// Sampler accuracy: with the exact posterior-mean denoiser for data ~ N(mu, s²), every sampler at 100 Karras
// steps reaches the target distribution (mean within 2 %, std within 5 %); deterministic samplers land on the
// closed-form probability-flow ODE solution x(σ_e) = mu + (x(σ₀) − mu)·√((s² + σ_e²)/(s² + σ₀²)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { samplers, samplerInfo, createRng, discreteSchedule, SD_DISCRETE, schedules, createBrownianNoise } from '../../../daemon/sampling';

const mu = 0.3, s = 0.5;
const N = 131072;
const D = async (x: Float32Array, sigma: number) => {
  const a = (s * s) / (s * s + sigma * sigma), b = (sigma * sigma * mu) / (s * s + sigma * sigma);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = a * x[i]! + b;
  return out;
};
const model = discreteSchedule(SD_DISCRETE);
const karras100 = schedules.Karras!(100, model);

/** Samplers that end above 0 (DPM fast/adaptive stop at sigmas[-2]; UniPC cannot step to σ = 0, so it gets Karras without the 0). */
const sigmasFor = (name: string) => (name === 'UniPC' ? karras100.subarray(0, 100) : karras100);
const endSigma = (name: string, sig: ArrayLike<number>) =>
  name === 'DPM fast' || name === 'DPM adaptive' ? sig[sig.length - 2]! : sig[sig.length - 1]!;

const DETERMINISTIC: Record<string, number> = {
  // RMS tolerance against the closed form (first-order methods discretize more)
  Euler: 2e-2, LMS: 2e-3, Heun: 2e-3, DPM2: 2e-3, 'DPM++ 2M': 2e-3, DDIM: 2e-2, PLMS: 2e-3, UniPC: 2e-3,
};

function stats(x: Float32Array) {
  let m = 0, q = 0;
  for (const v of x) m += v;
  m /= x.length;
  for (const v of x) q += (v - m) ** 2;
  return { mean: m, std: Math.sqrt(q / x.length) };
}

for (const name of Object.keys(samplers).filter((n) => n !== 'LCM')) {
  test(`analytic target: ${name}`, async () => {
    const sig = sigmasFor(name);
    const s0 = sig[0]!;
    const n0 = createRng('cpu', 1234).randn([N]);
    const x0 = new Float32Array(N);
    for (let i = 0; i < N; i++) x0[i] = mu + Math.sqrt(s * s + s0 * s0) * n0[i]!;
    const rng = createRng('nv', 42);
    const brownian = samplerInfo(name).brownianNoise;
    let calls = 0;
    const x = await samplers[name]!(D, x0, sig, { noise: () => { calls++; return rng.randn([N]); } });
    const se = endSigma(name, sig);
    const target = Math.sqrt(s * s + se * se);
    const st = stats(x);
    assert.ok(Math.abs(st.mean - mu) <= 0.02 * mu, `mean ${st.mean}`);
    assert.ok(Math.abs(st.std - target) <= 0.05 * target, `std ${st.std} vs ${target}`);
    if (name in DETERMINISTIC) {
      const k = Math.sqrt((s * s + se * se) / (s * s + s0 * s0));
      let e = 0;
      for (let i = 0; i < N; i++) e += (x[i]! - (mu + (x0[i]! - mu) * k)) ** 2;
      const rms = Math.sqrt(e / N);
      assert.ok(rms < DETERMINISTIC[name]!, `RMS distance to the PF-ODE solution ${rms}`);
      if (name !== 'DDIM') assert.equal(calls, 0, 'deterministic sampler drew noise');
    } else {
      assert.ok(calls > 0, 'stochastic sampler drew no noise');
    }
    void brownian;
  });
}

// LCM re-noises the denoiser output; with a posterior-MEAN denoiser (not a consistency model) the variance
// shrinks step by step, so the check is its exact recursion: V' = a²V + σ'², a = s²/(s² + σ²); final a²V.
test('analytic: LCM follows its exact mean/variance recursion', async () => {
  const x0 = createRng('cpu', 1234).randn([N]).map((v) => mu + Math.sqrt(s * s + karras100[0]! ** 2) * v);
  const rng = createRng('nv', 42);
  const x = await samplers.LCM!(D, x0, karras100, { noise: () => rng.randn([N]) });
  let V = s * s + karras100[0]! ** 2;
  for (let i = 0; i < karras100.length - 1; i++) {
    const a = (s * s) / (s * s + karras100[i]! ** 2);
    V = a * a * V + karras100[i + 1]! ** 2;
  }
  const st = stats(x);
  assert.ok(Math.abs(st.mean - mu) <= 0.02 * mu, `mean ${st.mean}`);
  assert.ok(Math.abs(st.std - Math.sqrt(V)) <= 0.05 * Math.sqrt(V), `std ${st.std} vs ${Math.sqrt(V)}`);
});

test('Brownian-tree noise: SDE samplers reach the target; increments are N(0,1) and deterministic per seed', async () => {
  const n = 8192;
  const sig = schedules.Karras!(30, model);
  const mk = () => createBrownianNoise({ source: 'cpu', seeds: [1, 2], perImage: n / 2, sigmaMin: sig[sig.length - 2]!, sigmaMax: sig[0]! });
  const a = mk()(sig[3]!, sig[4]!), b = mk()(sig[3]!, sig[4]!);
  assert.deepEqual(Array.from(a), Array.from(b));
  const st = stats(a);
  assert.ok(Math.abs(st.mean) < 0.05 && Math.abs(st.std - 1) < 0.05, `increment stats ${st.mean} ${st.std}`);
  // additivity: W(σ2) − W(σ0) = (W(σ1) − W(σ0)) + (W(σ2) − W(σ1))
  const nz = mk();
  const w01 = nz(sig[0]!, sig[1]!), w12 = nz(sig[1]!, sig[2]!), w02 = nz(sig[0]!, sig[2]!);
  const c01 = Math.sqrt(sig[0]! - sig[1]!), c12 = Math.sqrt(sig[1]! - sig[2]!), c02 = Math.sqrt(sig[0]! - sig[2]!);
  for (let i = 0; i < 100; i++) assert.ok(Math.abs(w01[i]! * c01 + w12[i]! * c12 - w02[i]! * c02) < 1e-3);
  for (const name of ['DPM++ SDE', 'DPM++ 2M SDE', 'DPM++ 2M SDE Heun', 'DPM++ 3M SDE']) {
    const x0 = createRng('cpu', 5).randn([n]).map((v) => mu + Math.sqrt(s * s + sig[0]! ** 2) * v);
    const x = await samplers[name]!(D, x0, sig, { noise: mk() });
    const r = stats(x);
    assert.ok(Math.abs(r.mean - mu) < 0.03 && Math.abs(r.std - s) < 0.05 * s, `${name}: ${r.mean} ${r.std}`);
  }
});

test('cancellation: an aborted signal stops a sampler', async () => {
  const ac = new AbortController();
  ac.abort(new Error('stop'));
  await assert.rejects(samplers.Euler!(D, new Float32Array(4), karras100, { noise: () => new Float32Array(4), signal: ac.signal }), /stop/);
});
