// Hires fix end to end on the tiny model: the upscaled size, A1111's Hires keys, and the PNG regenerating itself.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { writeTinySdModel } from '../../models/testModel/tinySd';
import { parseGenerationParameters } from '../../daemon/infotext/a1111';
import { readPngTextChunks } from '../../daemon/infotext/pngChunks';
import { runCli, startDaemon, tempDir, type TestDaemon } from './harness';

const work = tempDir();
const modelDir = join(work, 'tiny');
let daemon: TestDaemon;

before(async () => {
  await writeTinySdModel(modelDir);
  daemon = await startDaemon({ model: modelDir, previewEvery: 0 });
});
after(async () => {
  await daemon?.stop();
});

const infotextOf = (path: string): string => readPngTextChunks(readFileSync(path)).find((c) => c.keyword === 'parameters')!.text;

describe('hires fix', () => {
  it('writes the upscaled size with the Hires keys, and --infotext-from that PNG regenerates it pixel for pixel', async () => {
    const outdir = join(work, 'out');
    const r = await daemon.request('sd/img2img', {
      prompt: 'a [red:blue:5] lighthouse', negative_prompt: 'fog', sampler_name: 'Euler a', steps: 4, cfg_scale: 6, seed: 7, width: 64, height: 48,
      enable_hr: true, hr_scale: 2, hr_upscaler: 'Latent (nearest-exact)', hr_second_pass_steps: 3, denoising_strength: 0.6,
      hr_sampler_name: 'DPM++ 2M', hr_prompt: 'a lighthouse, detailed', hr_cfg: 5, outdir,
    });
    const img = r.images[0]!;
    assert.equal(img.width, 128);
    assert.equal(img.height, 96);
    const meta = await sharp(img.path!).metadata();
    assert.deepEqual([meta.width, meta.height], [128, 96]);
    const text = infotextOf(img.path!);
    const f = parseGenerationParameters(text).fields;
    assert.equal(f['Size-1'], '64'); // the first pass's size, as A1111 writes it
    assert.equal(f['Denoising strength'], '0.6');
    assert.equal(f['Hires upscale'], '2');
    assert.equal(f['Hires steps'], '3');
    assert.equal(f['Hires upscaler'], 'Latent (nearest-exact)');
    assert.equal(f['Hires sampler'], 'DPM++ 2M');
    assert.equal(f['Hires schedule type'], 'Karras'); // DPM++ 2M's Automatic resolves to Karras, unlike Euler a's
    assert.equal(f['Hires prompt'], 'a lighthouse, detailed');
    assert.equal(f['Hires CFG Scale'], '5');
    assert.match(text, /Denoising strength: 0\.6, .*Hires sampler: DPM\+\+ 2M, Hires prompt: "a lighthouse, detailed", Hires CFG Scale: 5, Hires schedule type: Karras, Hires upscale: 2, Hires steps: 3, Hires upscaler: Latent \(nearest-exact\)/);

    const again = runCli(['txt2img', '--infotext-from', img.path!, '--model', modelDir, '--outdir', join(work, 'again'), '--json']);
    assert.equal(again.code, 0, again.stderr);
    const path2 = (JSON.parse(again.stdout) as { images: Array<{ path: string }> }).images[0]!.path;
    assert.equal(infotextOf(path2), text);
    const [a, b] = await Promise.all([sharp(img.path!).raw().toBuffer(), sharp(path2).raw().toBuffer()]);
    assert.ok(a.equals(b), 'regenerated pixels differ');
  });

  it('an image upscaler and both resize sides: encode at the upscaled size, then A1111\'s truncation crop', async () => {
    const r = await daemon.request('sd/img2img', {
      prompt: 'a lighthouse', sampler_name: 'Euler', steps: 3, seed: 3, width: 64, height: 64,
      enable_hr: true, hr_upscaler: 'Lanczos', hr_resize_x: 96, hr_resize_y: 80, denoising_strength: 0.5, save_images: false, send_images: true,
    });
    // 64×64 → fit the wider side: 96×96, then 2 latent rows cropped (96 − 80) / 8.
    assert.deepEqual([r.images[0]!.width, r.images[0]!.height], [96, 80]);
    const f = parseGenerationParameters(r.images[0]!.infotext).fields;
    assert.equal(f['Hires resize-1'], '96');
    assert.equal(f['Hires resize-2'], '80');
    assert.equal(f['Hires upscaler'], 'Lanczos');
    assert.equal(f['Hires steps'], undefined);
    const back = await daemon.request('sd/infotext.parse', { text: r.images[0]!.infotext });
    assert.equal(back.params.enable_hr, true);
    assert.equal(back.params.hr_resize_x, 96);
    assert.equal(back.params.hr_upscaler, 'Lanczos');
  });

  it('a hires checkpoint: the second pass on another model, the first model again for the next batch', async () => {
    const other = join(work, 'tiny-v');
    await writeTinySdModel(other, { predictionType: 'v_prediction' });
    const job = { prompt: 'a lighthouse', sampler_name: 'Euler', steps: 2, seed: 8, width: 64, height: 64, enable_hr: true, hr_scale: 1.5, denoising_strength: 0.5, save_images: false, send_images: true };
    const r = await daemon.request('sd/img2img', { ...job, n_iter: 2, hr_checkpoint_name: other });
    assert.equal(r.images.length, 2);
    assert.deepEqual([r.images[1]!.width, r.images[1]!.height], [96, 96]);
    assert.match(parseGenerationParameters(r.images[0]!.infotext).fields['Hires checkpoint'] ?? '', /^tiny-v \[[0-9a-f]{10}\]$/);
    const same = await daemon.request('sd/img2img', { ...job, n_iter: 2 });
    assert.notEqual(r.images[0]!.png, same.images[0]!.png, 'the hires model made no difference');
    const single = await daemon.request('sd/img2img', { ...job, seed: 9, hr_checkpoint_name: other });
    assert.equal(r.images[1]!.png, single.images[0]!.png, 'batch 2 did not run the first pass on the first model again');
  });

  it('an unknown hires upscaler is an error that names the field', async () => {
    await assert.rejects(daemon.request('sd/img2img', { prompt: 'x', steps: 2, width: 64, height: 64, enable_hr: true, hr_upscaler: 'Latent (sideways)', save_images: false }),
      (e: { data?: { field?: string } }) => e.data?.field === 'hr_upscaler');
  });
});
