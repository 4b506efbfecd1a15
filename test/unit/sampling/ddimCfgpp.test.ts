// DDIM CFG++ against A1111's own loop (test/fixtures/reference/ddim_cfgpp.py: sd_samplers_timesteps_impl.ddim_cfgpp
// in float64 NumPy with an analytic network): same timestep grid, CFG scale × 1/12.5, direction along the
// unconditional noise. Our σ-space sampler gets the guided and the unconditional x₀ predictions as the denoise
// stage hands them over.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { discreteSchedule, resolveSampler, samplers, SD_DISCRETE, timestepSigmas, vpScale } from '../../../daemon/sampling';
import { closeTo } from './ref';

interface Ref { steps: number; cfg_scale: number; mu_cond: number; mu_uncond: number; s: number; timesteps: number[]; x_init_vp: number[]; x_traj_vp: number[][] }
const ref = JSON.parse(readFileSync(join('test', 'fixtures', 'reference', 'ddim-cfgpp.json'), 'utf8')) as Ref;

test('DDIM CFG++: A1111 trajectory (NumPy float64 reference) with the catalog\'s CFG multiplier', async () => {
  const choice = resolveSampler('ddim_cfgpp');
  assert.equal(choice.sampler, 'DDIM CFG++');
  assert.equal(choice.kind, 'timesteps');
  const schedule = discreteSchedule(SD_DISCRETE);
  const sigmas = timestepSigmas(ref.steps, schedule);
  assert.deepEqual([...sigmas], ref.timesteps.slice().reverse().map((t) => schedule.sigmas[t]!), 'A1111 visits timesteps[len−1] … timesteps[0]');

  const posterior = (mu: number) => (x: Float32Array, sigma: number): Float32Array =>
    Float32Array.from(x, (v) => (ref.s * ref.s * v + sigma * sigma * mu) / (ref.s * ref.s + sigma * sigma));
  const cond = posterior(ref.mu_cond), uncond = posterior(ref.mu_uncond);
  const scale = ref.cfg_scale * choice.cfgScaleMultiplier;
  let last: Float32Array | undefined;
  const denoise = async (x: Float32Array, sigma: number): Promise<Float32Array> => {
    const c = cond(x, sigma);
    last = uncond(x, sigma);
    return Float32Array.from(c, (v, k) => last![k]! + scale * (v - last![k]!));
  };

  const x0 = Float32Array.from(ref.x_init_vp, (v) => v / vpScale(sigmas[0]!));
  const traj: number[][] = [];
  const x = await samplers['DDIM CFG++']!(denoise, x0, sigmas, {
    noise: () => new Float32Array(x0.length),
    uncondDenoised: () => last!,
    onStep: () => undefined,
  });
  // The sampler's per-step x is internal; compare the end point and (through a replay) every step.
  const end = Array.from(x, (v) => v * vpScale(sigmas[sigmas.length - 1]!));
  assert.equal(closeTo(end, ref.x_traj_vp[ref.x_traj_vp.length - 1]!, 1e-5, 1e-5), undefined);
  for (let n = 1; n < sigmas.length; n++) {
    const part = await samplers['DDIM CFG++']!(denoise, x0, sigmas.subarray(0, n + 1), { noise: () => new Float32Array(x0.length), uncondDenoised: () => last! });
    traj.push(Array.from(part, (v) => v * vpScale(sigmas[n]!)));
    assert.equal(closeTo(traj[n - 1]!, ref.x_traj_vp[n]!, 1e-5, 1e-5), undefined, `step ${n}`);
  }
  // Plain DDIM (direction along the guided noise) lands elsewhere: the test tells the two apart.
  const plain = await samplers.DDIM!(denoise, x0, sigmas, { noise: () => new Float32Array(x0.length) });
  assert.notEqual(closeTo(Array.from(plain, (v) => v * vpScale(sigmas[sigmas.length - 1]!)), ref.x_traj_vp[ref.x_traj_vp.length - 1]!, 1e-3, 1e-3), undefined);
});
