import { test } from 'node:test';
import assert from 'node:assert/strict';
import { discreteSchedule, SD_DISCRETE, schedules, samplerSigmas, img2imgSigmas } from '../../../daemon/sampling';
import { karras, polyexponential } from '../../../daemon/sampling/schedules';
import { loadRef, closeTo } from './ref';

const ref = loadRef('schedules.json');
const exact = discreteSchedule(SD_DISCRETE, 'float64');
const a1111 = discreteSchedule(SD_DISCRETE);

test('discrete table: betas/ᾱ/σ float64, and A1111 float32-stored σ', () => {
  assert.equal(closeTo(exact.alphasCumprod, ref.alphas_cumprod, 1e-12, 1e-12), undefined);
  assert.equal(closeTo(exact.sigmas, ref.sigmas_table.float64, 0, 1e-12), undefined);
  assert.deepEqual(Array.from(a1111.sigmas), ref.sigmas_table.a1111_float32);
  assert.equal(a1111.sigmas[0], ref.sigma_min.a1111_float32);
  assert.equal(a1111.sigmas[999], ref.sigma_max.a1111_float32);
});

test('sigma_to_t probes (float64 and A1111), t_to_sigma inverts it', () => {
  const p = ref.sigma_to_t;
  p.sigma.forEach((s: number, i: number) => {
    assert.ok(Math.abs(exact.sigmaToT(s) - p.float64[i]) < 1e-9, `σ=${s}: ${exact.sigmaToT(s)} vs ${p.float64[i]}`);
    assert.ok(Math.abs(a1111.sigmaToT(s) - p.a1111_float32[i]) < 2e-3, `σ=${s} a1111`);
    const t = exact.sigmaToT(s);
    if (t > 0 && t < 999) assert.ok(Math.abs(exact.tToSigma(t) / s - 1) < 1e-12);
  });
});

const byLabel: Record<string, (n: number) => Float64Array> = {};
const mk = (m: typeof exact) => ({
  uniform: (n: number) => schedules.Uniform!(n, m),
  karras: (n: number) => schedules.Karras!(n, m),
  exponential: (n: number) => schedules.Exponential!(n, m),
  polyexponential: (n: number) => schedules.Polyexponential!(n, m),
  polyexponential_rho2: (n: number) => polyexponential(n, m, { rho: 2 }),
  sgm_uniform: (n: number) => schedules['SGM Uniform']!(n, m),
  uniform_discard_penultimate: (n: number) => samplerSigmas('Euler', 'Uniform', n, m, { alwaysDiscard: true }),
  karras_discard_penultimate: (n: number) => samplerSigmas('DPM2', 'Automatic', n, m),
  kl_optimal: (n: number) => schedules['KL Optimal']!(n, m),
  simple: (n: number) => schedules.Simple!(n, m),
  normal: (n: number) => schedules.Normal!(n, m),
  ddim: (n: number) => schedules.DDIM!(n, m),
  align_your_steps_sd15: (n: number) => schedules['Align Your Steps']!(n, m),
  'beta_0.6_0.6': (n: number) => schedules.Beta!(n, m),
});
void byLabel;

for (const [key, group] of Object.entries({ ...ref.schedules, ...ref.extra_schedules }) as [string, any][]) {
  test(`schedule ${group.label}`, () => {
    const fns = mk(exact) as Record<string, (n: number) => Float64Array>;
    const fns32 = mk(a1111) as Record<string, (n: number) => Float64Array>;
    assert.ok(fns[key], `no implementation for ${key}`);
    for (const [n, want] of Object.entries(group.by_steps) as [string, any][]) {
      assert.equal(closeTo(fns[key](+n), want.float64, 1e-9, 1e-9), undefined, `${key} n=${n} float64`);
      assert.equal(closeTo(fns32[key]!(+n), want.a1111_float32, 1e-4, 1e-4), undefined, `${key} n=${n} a1111`);
    }
  });
}

for (const [key, c] of Object.entries(ref.img2img).filter(([k]) => k !== 'definition') as [string, any][]) {
  test(`img2img truncation ${key}`, () => {
    const m = key.match(/strength=([\d.]+) steps=(\d+) img2img_fix_steps=(\w+) schedule=(\w+)/)!;
    const sched = m[4] === 'karras' ? schedules.Karras! : schedules.Uniform!;
    const r = img2imgSigmas((n) => sched(n, exact), +m[2]!, +m[1]!, m[3] === 'True');
    assert.equal(r.tEnc, c.t_enc);
    assert.equal(r.stepsRun, c.sampler_steps_run);
    assert.equal(closeTo(r.sigmas, c.float64.sigma_sched, 1e-9, 1e-9), undefined);
    const r32 = img2imgSigmas((n) => sched(n, a1111), +m[2]!, +m[1]!, m[3] === 'True');
    assert.equal(closeTo(r32.sigmas, c.a1111_float32.sigma_sched, 1e-4, 1e-4), undefined);
  });
}

test('SD1.x Karras 20 steps, and img2img at denoise 0.75 starting at σ≈5.7894', () => {
  const k = karras(20, a1111);
  assert.ok(Math.abs(k[4]! - 5.7894) < 1e-4);
  const r = img2imgSigmas((n) => karras(n, a1111), 20, 0.75, false);
  assert.equal(r.stepsRun, 16);
  assert.ok(Math.abs(r.sigmas[0]! - 5.7894) < 1e-4);
});

test('samplerSigmas: Automatic → sampler default; discard penultimate', () => {
  assert.deepEqual(samplerSigmas('DPM++ 2M', 'Automatic', 10, exact), schedules.Karras!(10, exact));
  assert.deepEqual(samplerSigmas('Euler a', undefined, 10, exact), schedules.Uniform!(10, exact));
  assert.deepEqual(samplerSigmas('DPM++ 2M SDE', undefined, 10, exact), schedules.Exponential!(10, exact));
  const d = samplerSigmas('DPM++ 3M SDE', 'Karras', 10, exact);
  assert.equal(d.length, 11);
  const full = schedules.Karras!(11, exact);
  assert.deepEqual(Array.from(d), [...Array.from(full.subarray(0, 10)), 0]);
});
