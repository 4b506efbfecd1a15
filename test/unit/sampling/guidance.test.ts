// Leaving the uncond pass out where it changes nothing (CFG 1) or little (NGMS): the UNet is called without it, and
// the result is bit-for-bit the one the full CFG denoiser gives when uncond equals the (first) cond.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SdModel } from '../../../daemon/parts/sdModel';
import { discreteSchedule, samplers } from '../../../daemon/sampling';
import { combineGuidance, uncondSkip, type GuidanceOptions } from '../../../daemon/sampling/guidance';
import { denoise, type StepConditioning } from '../../../daemon/stages/denoise';
import type { Conditioning } from '../../../daemon/stages/encodePrompt';

const H = 4, W = 4, PER = 4 * H * W, D = 8;

const cond = (seed: number, tokens = 77): Conditioning => ({
  hidden: Float32Array.from({ length: tokens * D }, (_, i) => Math.sin(seed * 7.1 + i * 0.13)),
  tokens, dim: D,
} as Conditioning);

/** A UNet stand-in that is exact per batch entry: ε = 0.3·x + mean(context) + 0.01·t, one entry at a time. */
function fakeModel(calls: Array<{ n: number; ctxMeans: number[] }>): SdModel {
  const scheduler = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000, prediction_type: 'epsilon' as const };
  const unet = {
    async predict(x: Float32Array, n: number, c: number, h: number, w: number, t: number, ctx: Float32Array, tokens: number, dim: number): Promise<Float32Array> {
      const per = c * h * w;
      const means: number[] = [];
      const out = new Float32Array(n * per);
      for (let b = 0; b < n; b++) {
        let m = 0;
        for (let i = 0; i < tokens * dim; i++) m += ctx[b * tokens * dim + i]!;
        m /= tokens * dim;
        means.push(m);
        for (let i = 0; i < per; i++) out[b * per + i] = 0.3 * x[b * per + i]! + m + 0.01 * t;
      }
      calls.push({ n, ctxMeans: means });
      return out;
    },
  };
  return { unet, layout: { scheduler } } as unknown as SdModel;
}

async function run(o: { cfgScale: number; sMinUncond?: number; sMinUncondAll?: boolean; conditioning: (step: number) => StepConditioning; sampler?: string }) {
  const calls: Array<{ n: number; ctxMeans: number[] }> = [];
  const skipped: string[] = [];
  const model = fakeModel(calls);
  const x = Float32Array.from({ length: 2 * PER }, (_, i) => Math.cos(i * 0.7) * 10);
  const out = await denoise({
    model, schedule: discreteSchedule(model.layout.scheduler), kind: 'k-diffusion', conditioning: o.conditioning, cfgScale: o.cfgScale,
    sMinUncond: o.sMinUncond, sMinUncondAll: o.sMinUncondAll, onUncondSkipped: (why) => skipped.push(why),
    x, n: 2, h: H, w: W, sigmas: Float64Array.from([10, 5, 2, 1, 0.5, 0]), sampler: samplers[o.sampler ?? 'Euler']!,
    noise: () => new Float32Array(2 * PER), signal: new AbortController().signal, onStep: () => undefined,
  });
  return { out, calls, skipped };
}

const sameBits = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('CFG scale 1 and NGMS (A1111 CFGDenoiser skip_uncond)', () => {
  const c = cond(1);
  const u = cond(2);
  const c2 = cond(3, 154);

  it('uncondSkip: CFG 1 needs AND weights summing to 1; NGMS every other call below s_min_uncond, or every call', () => {
    const g = (o: Partial<GuidanceOptions>): GuidanceOptions => ({ cfgScale: 7, weights: [1], sMinUncond: 0, sMinUncondAll: false, ...o });
    assert.equal(uncondSkip(g({ cfgScale: 1 }), 0, 10), 'cfg1');
    assert.equal(uncondSkip(g({ cfgScale: 1, weights: [0.7, 0.3] }), 0, 10), 'cfg1');
    assert.equal(uncondSkip(g({ cfgScale: 1, weights: [1, 0.5] }), 0, 10), undefined, 'uncond·(1 − Σw) still matters');
    assert.equal(uncondSkip(g({ cfgScale: 1, uncondNeeded: true }), 0, 10), undefined, 'CFG++ samplers step along the uncond prediction');
    assert.deepEqual([0, 1, 2, 3].map((call) => uncondSkip(g({ sMinUncond: 3 }), call, 2)), [undefined, 'ngms', undefined, 'ngms']);
    assert.deepEqual([0, 1].map((call) => uncondSkip(g({ sMinUncond: 3, sMinUncondAll: true }), call, 2)), ['ngms', 'ngms']);
    assert.equal(uncondSkip(g({ sMinUncond: 3 }), 1, 3), undefined, 'σ must be below s_min_uncond');
    const out = new Float32Array(2);
    combineGuidance(Float32Array.of(9, 9, 0.1, 0.2), 2, g({ cfgScale: 1 }), 'cfg1', out);
    assert.deepEqual([...out], [Math.fround(0.1), Math.fround(0.2)], 'CFG 1: exactly the cond prediction');
  });

  it('CFG 1: the UNet never sees uncond, and the result equals full CFG with uncond = cond bit for bit', async () => {
    const skip = await run({ cfgScale: 1, conditioning: () => ({ conds: [{ cond: c, weight: 1 }], uncond: u }) });
    assert.ok(skip.calls.every((k) => k.n === 1), 'one batch entry (cond) per UNet call');
    assert.equal(skip.skipped.length, 5);
    const full = await run({ cfgScale: 7, conditioning: () => ({ conds: [{ cond: c, weight: 1 }], uncond: c }) });
    assert.ok(full.calls.every((k) => k.n === 2), 'the reference runs uncond + cond');
    assert.ok(sameBits(skip.out, full.out), 'CFG 1 result = cond prediction exactly');
  });

  it('NGMS 3 (Euler, σ 10 5 2 1 0.5): only call 3 (σ 1) skips uncond; with "all steps" calls 2-4; exact elsewhere', async () => {
    const steps = (ref: (k: number) => boolean) => (k: number): StepConditioning => ({ conds: [{ cond: c, weight: 1 }], uncond: ref(k) ? c : u });
    const ngms = await run({ cfgScale: 7, sMinUncond: 3, conditioning: steps(() => false) });
    // two images, one UNet call each per model call
    const perCall = (calls: Array<{ n: number }>) => calls.filter((_, i) => i % 2 === 0).map((k) => k.n);
    assert.deepEqual(perCall(ngms.calls), [2, 2, 2, 1, 2]);
    assert.deepEqual(ngms.skipped, ['ngms']);
    // Reference: the full denoiser, with uncond replaced by cond at the skipped call (A1111's fake_uncond, CFG 1).
    const ref = await run({ cfgScale: 7, conditioning: steps((k) => k === 3) });
    assert.ok(sameBits(ngms.out, ref.out));
    const all = await run({ cfgScale: 7, sMinUncond: 3, sMinUncondAll: true, conditioning: steps(() => false) });
    assert.deepEqual(perCall(all.calls), [2, 2, 1, 1, 1]);
    const refAll = await run({ cfgScale: 7, conditioning: steps((k) => k >= 2) });
    assert.ok(sameBits(all.out, refAll.out));
  });

  it('NGMS with AND: the first cond stands in for uncond at CFG 1; conds of other lengths still run separately', async () => {
    const conditioning = (): StepConditioning => ({ conds: [{ cond: c, weight: 1 }, { cond: c2, weight: 0.5 }], uncond: u });
    const r = await run({ cfgScale: 7, sMinUncond: 100, sMinUncondAll: true, conditioning });
    // per image: cond (77 tokens) and the AND part (154 tokens), never uncond
    assert.ok(r.calls.every((k) => k.n === 1));
    assert.equal(r.calls.length, 5 * 2 * 2);
    const mu = (h: Float32Array) => h.reduce((a, b) => a + b, 0) / h.length;
    const seen = new Set(r.calls.map((k) => k.ctxMeans[0]!.toFixed(6)));
    assert.ok(!seen.has(mu(u.hidden).toFixed(6)), 'uncond never reaches the UNet');
  });
});
