import { test } from 'node:test';
import assert from 'node:assert/strict';
import { samplerCatalog, schedulerNames, resolveSampler, samplers, schedules } from '../../../daemon/sampling';

test('catalog: one entry per sampler implementation, A1111 UI order, defaults', () => {
  const cat = samplerCatalog();
  assert.deepEqual(cat.map((c) => c.name), Object.keys(samplers));
  assert.equal(cat[0]!.name, 'DPM++ 2M');
  assert.equal(cat.find((c) => c.name === 'DPM++ 2M SDE')!.defaultScheduler, 'Exponential');
  assert.deepEqual(schedulerNames, ['Automatic', 'Uniform', 'Karras', 'Exponential', 'Polyexponential', 'SGM Uniform', 'KL Optimal',
    'Align Your Steps', 'Simple', 'Normal', 'DDIM', 'Beta']);
  assert.deepEqual(Object.keys(schedules), schedulerNames);
});

test('legacy names resolve', () => {
  const cases: [string, string, string][] = [
    ['DPM++ 2M Karras', 'DPM++ 2M', 'Karras'], ['k_dpmpp_2m_ka', 'DPM++ 2M', 'Karras'], ['k_euler_a', 'Euler a', 'Automatic'],
    ['Euler a', 'Euler a', 'Automatic'], ['DPM++ 2M SDE Exponential', 'DPM++ 2M SDE', 'Exponential'],
    ['DPM++ 2M SDE Heun Karras', 'DPM++ 2M SDE Heun', 'Karras'], ['LMS Karras', 'LMS', 'Karras'], ['k_dpm_2_a', 'DPM2 a', 'Karras'],
    ['DPM++ 2M', 'DPM++ 2M', 'Karras'], ['Euler SGMUniform', 'Euler', 'SGM Uniform'], ['ddim', 'DDIM', 'Automatic'],
  ];
  for (const [name, sampler, scheduler] of cases) {
    const r = resolveSampler(name);
    assert.equal(r.sampler, sampler, name);
    assert.equal(r.scheduler, scheduler, name);
  }
  assert.equal(resolveSampler('Euler', 'karras').scheduler, 'Karras');
  assert.equal(resolveSampler('DPM2', 'Automatic').discardPenultimate, true);
  assert.equal(resolveSampler('DPM++ 3M SDE').brownianNoise, true);
});

test('unknown names list the valid ones', () => {
  assert.throws(() => resolveSampler('Euler b'), (e: Error) => /unknown sampler "Euler b"/.test(e.message) && e.message.includes('DPM++ 2M SDE Heun') && e.message.includes('UniPC'));
  assert.throws(() => resolveSampler('Euler', 'Cosine'), (e: Error) => /unknown schedule type/.test(e.message) && e.message.includes('Align Your Steps'));
});

test('round trip: (sampler, schedule) → infotext fields → same choice', () => {
  for (const { name } of samplerCatalog()) {
    for (const sched of schedulerNames) {
      const r = resolveSampler(name, sched);
      const back = resolveSampler(r.sampler, r.scheduler);
      assert.equal(back.sampler, name);
      assert.equal(back.scheduler, r.scheduler);
      if (sched !== 'Automatic' && r.kind === 'k-diffusion') {
        const legacy = resolveSampler(`${name} ${sched}`);
        assert.deepEqual([legacy.sampler, legacy.scheduler], [name, sched]);
      }
    }
  }
});
