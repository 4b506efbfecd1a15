// img2img end to end through the built daemon and CLI with tiny generated models.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { writeTinySdModel, type TinySdVariant } from '../../models/testModel/tinySd';
import { parseGenerationParameters } from '../../daemon/infotext/a1111';
import { readPngTextChunks } from '../../daemon/infotext/pngChunks';
import { ErrorCodes, type GenerationResult, type JobProgressNotification, type JobStateNotification } from '../../daemon/protocol';
import { drawDemoImage } from '../../daemon/cli/demoImage';
import { runCli, startDaemon, tempDir, type TestDaemon } from './harness';

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

async function pixels(path: string): Promise<Buffer> {
  return sharp(path).raw().toBuffer();
}

const work = tempDir();
const modelDir = join(work, 'tiny');
const source = join(work, 'source.png');
let daemon: TestDaemon;

before(async () => {
  await writeTinySdModel(modelDir);
  writeFileSync(source, await drawDemoImage(96, 80));
  daemon = await startDaemon({ model: modelDir, previewEvery: 2 });
});
after(async () => {
  await daemon?.stop();
});

const base = { prompt: 'a lighthouse at dusk', negative_prompt: 'blurry', sampler_name: 'Euler a', steps: 6, cfg_scale: 7, width: 64, height: 64, denoising_strength: 0.7 };

describe('img2img through the daemon', () => {
  it('same seed and settings give byte-identical PNGs in two new files, with a parameters chunk that parses back', async () => {
    const outdir = join(work, 'out-same');
    const a = await daemon.request('sd/img2img', { ...base, init_images: [source], seed: 42, outdir });
    const b = await daemon.request('sd/img2img', { ...base, init_images: [source], seed: 42, outdir });
    const pa = a.images[0]!.path!;
    const pb = b.images[0]!.path!;
    assert.notEqual(pa, pb);
    assert.match(pa, /img2img-images[/\\]\d{4}-\d\d-\d\d[/\\]00000-42\.png$/);
    assert.match(pb, /00001-42\.png$/);
    assert.deepEqual(readFileSync(pa), readFileSync(pb));
    const text = readPngTextChunks(readFileSync(pa)).find((c) => c.keyword === 'parameters')!.text;
    const parsed = parseGenerationParameters(text);
    assert.equal(parsed.prompt, base.prompt);
    assert.equal(parsed.negativePrompt, base.negative_prompt);
    assert.equal(parsed.fields['Steps'], '6');
    assert.equal(parsed.fields['Sampler'], 'Euler a');
    assert.equal(parsed.fields['Schedule type'], 'Automatic');
    assert.equal(parsed.fields['CFG scale'], '7');
    assert.equal(parsed.fields['Seed'], '42');
    assert.equal(parsed.fields['Size-1'], '64');
    assert.equal(parsed.fields['Size-2'], '64');
    assert.equal(parsed.fields['Denoising strength'], '0.7');
    assert.equal(parsed.fields['Model'], 'tiny');
    assert.match(parsed.fields['Model hash'] ?? '', /^[0-9a-f]{10}$/);
    assert.ok(parsed.fields['Version']);
    // and the daemon's own parser maps it back to the same params
    const back = await daemon.request('sd/infotext.parse', { text });
    assert.equal(back.params.seed, 42);
    assert.equal(back.params.steps, 6);
    assert.equal(back.params.sampler_name, 'Euler a');
    assert.equal(back.params.denoising_strength, 0.7);
    assert.equal(back.params.width, 64);
  });

  it('a batch of 2 from seed s equals the single runs with s and s+1', async () => {
    const outdir = join(work, 'out-batch');
    const batch = await daemon.request('sd/img2img', { ...base, init_images: [source], seed: 100, batch_size: 2, outdir });
    const s0 = await daemon.request('sd/img2img', { ...base, init_images: [source], seed: 100, outdir });
    const s1 = await daemon.request('sd/img2img', { ...base, init_images: [source], seed: 101, outdir });
    assert.deepEqual(batch.images.map((i) => i.seed), [100, 101]);
    assert.deepEqual(await pixels(batch.images[0]!.path!), await pixels(s0.images[0]!.path!));
    assert.deepEqual(await pixels(batch.images[1]!.path!), await pixels(s1.images[0]!.path!));
    assert.notDeepEqual(await pixels(s0.images[0]!.path!), await pixels(s1.images[0]!.path!));
    // n_iter × batch_size images, seeds seed + i
    const many = await daemon.request('sd/img2img', { ...base, init_images: [source], seed: 7, batch_size: 2, n_iter: 2, steps: 2, outdir });
    assert.deepEqual(many.images.map((i) => i.seed), [7, 8, 9, 10]);
  });

  it('seeds up to 2^64 − 1 as torch takes them: decimal strings in and out, exact in the infotext and file name', async () => {
    const outdir = join(work, 'out-seed64');
    const top = '18446744073709551615';
    const r = await daemon.request('sd/img2img', { ...base, steps: 2, seed: '18446744073709551614', batch_size: 2, outdir, override_settings: { randn_source: 'CPU' } });
    assert.deepEqual(r.images.map((i) => i.seed), ['18446744073709551614', top]);
    assert.equal(r.parameters.seed, '18446744073709551614');
    assert.match(r.images[1]!.path!, new RegExp(`00001-${top}\\.png$`));
    const info = parseGenerationParameters(readPngTextChunks(readFileSync(r.images[1]!.path!)).find((c) => c.keyword === 'parameters')!.text);
    assert.equal(info.fields['Seed'], top);
    const back = await daemon.request('sd/infotext.parse', { text: r.images[1]!.infotext });
    assert.equal(back.params.seed, top, 'pasting the infotext keeps the seed exact');
    // torch's CPU generator keeps the low 32 bits: 2^64 − 1 and 2^32 − 1 give the same noise, so the same image.
    const low = await daemon.request('sd/img2img', { ...base, steps: 2, seed: 4294967295, outdir, override_settings: { randn_source: 'CPU' } });
    assert.deepEqual(await pixels(low.images[0]!.path!), await pixels(r.images[1]!.path!));
    await assert.rejects(daemon.request('sd/img2img', { ...base, seed: top, batch_size: 2, outdir }), /seed: 18446744073709551615 \+ 1 \(one seed per image\) passes 2\^64/);
    await assert.rejects(daemon.request('sd/img2img', { ...base, seed: 2 ** 60, outdir }), /seed: expected an integer \(a number, or a decimal string beyond 2\^53\)/);
    await assert.rejects(daemon.request('sd/img2img', { ...base, seed: '18446744073709551616', outdir }), /seed: 18446744073709551616 is out of range/);
  });

  it('txt2img when there is no init image, with progress, ETA and previews', async () => {
    const outdir = join(work, 'out-txt');
    const progress: JobProgressNotification[] = [];
    let previews = 0;
    daemon.on('sd/job.progress', (p) => progress.push(p));
    daemon.on('sd/job.preview', (p) => {
      if (p.png.length > 0 && p.width === 8 && p.height === 8) previews++;
    });
    const r = await daemon.request('sd/img2img', { ...base, seed: 5, outdir, jobId: 'txt-job' });
    assert.match(r.images[0]!.path!, /txt2img-images/);
    const mine = progress.filter((p) => p.jobId === 'txt-job');
    assert.equal(mine.length, 6);
    assert.equal(mine.at(-1)!.step, 6);
    assert.ok(mine.at(-1)!.etaSeconds !== undefined);
    assert.ok(previews >= 1);
    const text = r.images[0]!.infotext;
    assert.ok(!text.includes('Denoising strength'));
  });

  it('cancel during sampling: state cancelled within one step, no output file, daemon serves the next job', async () => {
    const outdir = join(work, 'out-cancel');
    const states: JobStateNotification[] = [];
    daemon.on('sd/job.state', (s) => states.push(s));
    // Messages from the daemon arrive in order: progress that arrives after the cancel's reply was sent after
    // the daemon had acted on it.
    let stepsAfterCancel = -1;
    daemon.on('sd/job.progress', (p) => {
      if (p.jobId !== 'to-cancel') return;
      if (stepsAfterCancel >= 0) stepsAfterCancel++;
      if (p.step === 2 && stepsAfterCancel === -1) {
        stepsAfterCancel = -2;
        void daemon.request('sd/job.cancel', { jobId: 'to-cancel' }).then(() => (stepsAfterCancel = 0));
      }
    });
    await assert.rejects(
      daemon.request('sd/img2img', { ...base, init_images: [source], steps: 400, denoising_strength: 1, seed: 1, outdir, jobId: 'to-cancel' }),
      (e: { code: number }) => e.code === ErrorCodes.Cancelled,
    );
    assert.ok(stepsAfterCancel >= 0 && stepsAfterCancel <= 1, `ran ${stepsAfterCancel} steps after the cancel`);
    assert.equal(states.filter((s) => s.jobId === 'to-cancel').at(-1)!.state, 'cancelled');
    assert.deepEqual(listFiles(outdir), []);
    const next: GenerationResult = await daemon.request('sd/img2img', { ...base, init_images: [source], seed: 2, outdir });
    assert.equal(listFiles(outdir).length, 1);
    assert.ok(existsSync(next.images[0]!.path!));
    const jobs = await daemon.request('sd/jobs.list', {});
    assert.equal(jobs.jobs.find((j) => j.jobId === 'to-cancel')?.state, 'cancelled');
  });

  it('skip stops the current batch, keeps its latest prediction, and the job goes on with the next batch', async () => {
    const outdir = join(work, 'out-skip');
    const seen: JobProgressNotification[] = [];
    let skipped = false;
    daemon.on('sd/job.progress', (p) => {
      if (p.jobId !== 'to-skip') return;
      seen.push(p);
      if (p.image === 0 && p.step === 2 && !skipped) {
        skipped = true;
        void daemon.request('sd/job.skip', { jobId: 'to-skip' });
      }
    });
    const r = await daemon.request('sd/img2img', { ...base, steps: 150, n_iter: 2, seed: 21, outdir, jobId: 'to-skip' });
    assert.equal(r.images.length, 2);
    assert.deepEqual(r.images.map((i) => i.seed), [21, 22]);
    const firstBatch = seen.filter((p) => p.image === 0).length;
    const secondBatch = seen.filter((p) => p.image === 1).length;
    assert.ok(firstBatch < 150, `batch 1 ran ${firstBatch} steps after a skip at step 2`);
    assert.equal(secondBatch, 150);
    assert.equal(listFiles(join(outdir, 'txt2img-images')).length, 2);
    assert.equal(r.grids?.length, 1); // A1111's grid_save (on by default): a grid of the job's two images
    assert.match(r.grids![0]!.path!, /txt2img-grids[/\\]\d{4}-\d\d-\d\d[/\\]grid-0000\.png$/);
    const jobs = await daemon.request('sd/jobs.list', {});
    assert.equal(jobs.jobs.find((j) => j.jobId === 'to-skip')?.state, 'done');
  });

  it('a second protocol version is refused at initialize with a clear message', async () => {
    await assert.rejects(startDaemon({}, 999), /protocol mismatch.*999/i);
  });
});

describe('every I/O variant of real exports runs through the same pipeline', () => {
  const variants: Array<[string, Partial<TinySdVariant>]> = [
    ['int64 timestep of shape [1]', { timestepType: 'int64' }],
    ['fp16 model (float16 timestep)', { precision: 'fp16', timestepType: 'float16' }],
    ['UNet batch fixed at 1', { unetBatch: 'fixed1' }],
    ['VAE encoder returning latent_parameters', { vaeEncoderOutput: 'latent_parameters' }],
    ['int64 input_ids', { textInputType: 'int64' }],
    ['v-prediction', { predictionType: 'v_prediction' }],
    ['weights inline (no external data)', { unetExternalData: false }],
  ];
  for (const [name, variant] of variants) {
    it(name, async () => {
      const dir = join(work, `variant-${name.replace(/\W+/g, '-')}`);
      await writeTinySdModel(dir, variant);
      const outdir = join(work, 'out-variants');
      const r = await daemon.request('sd/img2img', { ...base, init_images: [source], seed: 9, model: dir, outdir, batch_size: 2, steps: 3 });
      assert.equal(r.images.length, 2);
      const px = await pixels(r.images[0]!.path!);
      assert.equal(px.length, 64 * 64 * 3);
      // reproducible (posterior sampling included)
      const again = await daemon.request('sd/img2img', { ...base, init_images: [source], seed: 9, model: dir, outdir, steps: 3 });
      assert.deepEqual(await pixels(again.images[0]!.path!), px);
    });
  }
});

describe('the CLI', () => {
  const model = () => ['--model', modelDir];

  it('runs img2img with every flag and prints the output path', () => {
    const outdir = join(work, 'cli-out');
    const r = runCli(['img2img', ...model(), '-i', source, '-p', 'a cat', '-n', 'dog', '--sampler', 'Euler', '--steps', '3', '--seed', '11', '--width', '64', '--height', '48',
      '--resize-mode', 'resize-and-fill', '--cfg-scale', '5.5', '--denoising-strength', '0.5', '--outdir', outdir]);
    assert.equal(r.code, 0, r.stderr);
    const path = r.stdout.trim();
    assert.ok(existsSync(path));
    const text = readPngTextChunks(readFileSync(path)).find((c) => c.keyword === 'parameters')!.text;
    assert.match(text, /^a cat\nNegative prompt: dog\nSteps: 3, Sampler: Euler, Schedule type: Automatic, CFG scale: 5\.5, Seed: 11, Size: 64x48, /);
  });

  it('--infotext takes every setting from an A1111 infotext; explicit flags win', () => {
    const outdir = join(work, 'cli-info');
    const info = 'castle on a hill\nNegative prompt: fog\nSteps: 4, Sampler: DPM++ 2M Karras, CFG scale: 6, Seed: 777, Size: 64x64, Model hash: 45dee52b, Denoising strength: 0.55';
    const r = runCli(['img2img', ...model(), '-i', source, '--infotext', info, '--seed', '778', '--outdir', outdir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout) as GenerationResult;
    const parsed = parseGenerationParameters(res.images[0]!.infotext);
    assert.equal(parsed.prompt, 'castle on a hill');
    assert.equal(parsed.negativePrompt, 'fog');
    assert.equal(parsed.fields['Steps'], '4');
    assert.equal(parsed.fields['Sampler'], 'DPM++ 2M');
    assert.equal(parsed.fields['Schedule type'], 'Karras');
    assert.equal(parsed.fields['CFG scale'], '6');
    assert.equal(parsed.fields['Seed'], '778');
    assert.equal(parsed.fields['Denoising strength'], '0.55');
    assert.doesNotMatch(r.stderr, /warning/, 'every setting of this infotext is applied');
    // Settings SD Studio cannot apply yet are named, not dropped silently; the job still runs.
    const hires = runCli(['img2img', ...model(), '-i', source, '--infotext', `${info}, Tiling: True, ControlNet 0: "Module: canny", ADetailer model: face_yolov8n.pt`, '--outdir', outdir]);
    assert.equal(hires.code, 0, hires.stderr);
    assert.match(hires.stderr, /warning: SD Studio does not apply these infotext settings yet.*Tiling \(Tiling\); ControlNet 0 \(ControlNet\); ADetailer model \(ADetailer\)/);
  });

  const bad: Array<[string, () => string[], RegExp, number?]> = [
    ['missing image', () => ['-i', join(work, 'nope.png')], /nope\.png/],
    ['non-image file', () => { const f = join(work, 'notes.png'); writeFileSync(f, 'just some text, not an image\n'); return ['-i', f]; }, /notes\.png.*not an image/],
    ['truncated PNG', () => { const f = join(work, 'trunc.png'); writeFileSync(f, readFileSync(source).subarray(0, 400)); return ['-i', f]; }, /trunc\.png/],
    ['model folder missing a part', () => { const d = join(work, 'no-decoder'); return ['--model', d, '-i', source]; }, /no-decoder.*vae_decoder.*missing/],
    ['model with wrong input names', () => ['--model', join(work, 'bad-names'), '-i', source], /unet[/\\]model\.onnx.*noisy_input.*"sample"/s],
    ['width not a positive integer (-3)', () => ['--width', '-3', '-i', source], /width: -3 is out of range/, 2],
    ['width not a positive integer (1.5)', () => ['--width', '1.5', '-i', source], /width: expected an integer, got 1\.5/, 2],
    ['width not a number', () => ['--width', 'wide', '-i', source], /width: expected an integer, got "wide"/, 2],
  ];
  before(async () => {
    await writeTinySdModel(join(work, 'no-decoder'), { omitPart: 'vae_decoder' });
    await writeTinySdModel(join(work, 'bad-names'), { brokenUnetInputName: 'noisy_input' });
  });
  // Failures exit 1; values the daemon refuses as out of range or of the wrong type exit 2 (usage), as the README says.
  for (const [name, args, message, code = 1] of bad) {
    it(`bad input: ${name} → specific error, exit ${code}, nothing written`, () => {
      const outdir = join(work, `bad-${name.replace(/\W+/g, '-')}`);
      const r = runCli(['img2img', ...model(), '--steps', '2', '--width', '64', '--height', '64', '-p', 'x', ...args(), '--outdir', outdir]);
      assert.equal(r.code, code, `exit ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.deepEqual(listFiles(outdir), []);
    });
  }

  it('--infotext-from regenerates an image from its own PNG info (same pixels)', async () => {
    const outdir = join(work, 'cli-from');
    const first = runCli(['img2img', ...model(), '-p', 'a red barn', '-n', 'fog', '--sampler', 'DPM++ 2M', '--scheduler', 'Karras', '--steps', '4', '--seed', '31337', '-W', '64', '-H', '64', '--outdir', outdir]);
    assert.equal(first.code, 0, first.stderr);
    const again = runCli(['img2img', ...model(), '--infotext-from', first.stdout.trim(), '--outdir', outdir]);
    assert.equal(again.code, 0, again.stderr);
    assert.notEqual(again.stdout.trim(), first.stdout.trim());
    assert.deepEqual(await pixels(again.stdout.trim()), await pixels(first.stdout.trim()));
    const none = runCli(['img2img', ...model(), '--infotext-from', source, '--outdir', outdir]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /source\.png: no generation settings found/);
  });

  it('an execution provider that is not available falls back to CPU with a visible warning', () => {
    const outdir = join(work, 'cli-provider');
    const r = runCli(['img2img', ...model(), '-p', 'x', '--steps', '2', '-W', '64', '-H', '64', '--seed', '1', '--provider', 'cuda', '--outdir', outdir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /execution provider "cuda" is not available .*running on CPU instead/);
    assert.equal(listFiles(outdir).length, 1);
  });

  it('usage errors exit 2', () => {
    assert.equal(runCli(['img2img', '--steps']).code, 2);
    assert.equal(runCli(['img2img', '--no-such-flag']).code, 2);
    assert.equal(runCli(['frobnicate']).code, 2);
  });
});
