// Every sampler runs through the img2img pipeline, and the sampler / schedule / RNG / variation
// fields SD Studio writes parse back (through the same infotext parser A1111 uses) to the same choice.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTinySdModel } from '../../models/testModel/tinySd';
import { drawDemoImage } from '../../daemon/cli/demoImage';
import { resolveSampler } from '../../daemon/sampling';
import { startDaemon, tempDir, type TestDaemon } from './harness';

const work = tempDir();
const modelDir = join(work, 'tiny');
const source = join(work, 'source.png');
let daemon: TestDaemon;

before(async () => {
  await writeTinySdModel(modelDir);
  writeFileSync(source, await drawDemoImage(64, 64));
  daemon = await startDaemon({ model: modelDir, previewEvery: 0 });
});
after(async () => daemon?.stop());

describe('samplers through the pipeline', () => {
  it('every sampler in the catalog runs img2img and txt2img, with its own step count', async () => {
    const { samplers } = await daemon.request('sd/samplers.list', {});
    assert.equal(samplers.length, 20);
    for (const s of samplers) {
      for (const init of [[source], []]) {
        const r = await daemon.request('sd/img2img', {
          prompt: 'x', sampler_name: s.name, steps: 4, width: 64, height: 64, seed: 3, init_images: init, denoising_strength: 0.75, save_images: false,
        });
        assert.equal(r.images.length, 1, s.name);
        assert.match(r.images[0]!.infotext, new RegExp(`Sampler: ${s.name.replace(/[+]/g, '\\+')},`));
      }
    }
  });

  it('sampler, schedule, RNG, variation seed, seed resize and ENSD fields round-trip through the infotext', async () => {
    const cases = [
      { sampler_name: 'DPM++ 2M Karras' },
      { sampler_name: 'Euler a', override_settings: { randn_source: 'CPU' as const, eta_noise_seed_delta: 31337 } },
      { sampler_name: 'DPM++ SDE', scheduler: 'Exponential', override_settings: { randn_source: 'NV' as const } },
      { sampler_name: 'DDIM' },
      { sampler_name: 'k_dpmpp_2m_ka' },
      { sampler_name: 'Euler', subseed: 99, subseed_strength: 0.3, seed_resize_from_w: 48, seed_resize_from_h: 56 },
    ];
    for (const c of cases) {
      const r = await daemon.request('sd/img2img', { prompt: 'p', steps: 3, width: 64, height: 64, seed: 10, save_images: false, ...c });
      const back = await daemon.request('sd/infotext.parse', { text: r.images[0]!.infotext });
      const want = resolveSampler(c.sampler_name, (c as { scheduler?: string }).scheduler);
      const got = resolveSampler(back.params.sampler_name!, back.params.scheduler);
      assert.equal(got.sampler, want.sampler, c.sampler_name);
      assert.equal(got.scheduler, want.scheduler, c.sampler_name);
      assert.equal(back.params.override_settings?.randn_source ?? 'GPU', c.override_settings?.randn_source ?? 'GPU');
      if (c.override_settings?.eta_noise_seed_delta) assert.equal(back.params.override_settings?.eta_noise_seed_delta, 31337);
      if ('subseed_strength' in c) {
        assert.equal(back.params.subseed, 99);
        assert.equal(back.params.subseed_strength, 0.3);
        assert.equal(back.params.seed_resize_from_w, 48);
        assert.equal(back.params.seed_resize_from_h, 56);
      }
      // re-running from the parsed params gives the same image
      const again = await daemon.request('sd/img2img', { ...back.params, save_images: false, send_images: true });
      const first = await daemon.request('sd/img2img', { prompt: 'p', steps: 3, width: 64, height: 64, seed: 10, save_images: false, send_images: true, ...c });
      assert.equal(again.images[0]!.png, first.images[0]!.png, `${c.sampler_name}: regenerated from its infotext`);
    }
  });

  it('an unknown sampler name is refused with the list of valid ones', async () => {
    await assert.rejects(daemon.request('sd/img2img', { prompt: 'p', sampler_name: 'Euler b', steps: 2, width: 64, height: 64, save_images: false }), /sampler_name: unknown sampler "Euler b".*DPM\+\+ 2M.*Euler a/s);
  });
});
