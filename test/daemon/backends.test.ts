// Remote engines: two `sd-studio serve --api` processes on 127.0.0.1 as `a1111` backends of a third daemon.
// A batch of 8 jobs spreads over both and every result lands here with its infotext; one backend is killed
// mid-batch and the batch still completes (its job retried on the other).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { parseGenerationParameters } from '../../daemon/infotext/a1111';
import { readPngTextChunks } from '../../daemon/infotext/pngChunks';
import type { GenerationResult, JobStateNotification } from '../../daemon/protocol';
import { startApiServer, tinyModelsRoot, type ApiProcess } from './apiServer';
import { runCli, startDaemon, tempDir, type TestDaemon } from './harness';

const work = tempDir('sd-studio-backends-');
let a: ApiProcess;
let b: ApiProcess;
let front: TestDaemon;

before(async () => {
  const model = await tinyModelsRoot(work);
  [a, b] = await Promise.all([
    startApiServer(['--models-root', work, '--model', model, '--outdir', join(work, 'out-a')]),
    startApiServer(['--models-root', work, '--model', model, '--outdir', join(work, 'out-b')]),
  ]);
  writeFileSync(join(work, 'front-styles.csv'), 'name,prompt,negative_prompt\nnoir,"{prompt}, film noir",colour\n');
  front = await startDaemon({
    model: 'tiny', outputDir: join(work, 'out-front'), previewEvery: 5, stylesFile: join(work, 'front-styles.csv'),
    backends: [{ name: 'gpu-a', kind: 'a1111', url: a.url }, { name: 'gpu-b', kind: 'a1111', url: b.url }],
  });
});
after(async () => {
  await front?.stop();
  await a?.stop();
  await b?.stop();
});

describe('a1111 backends', () => {
  it('lists both backends with their models', async () => {
    const { backends } = await front.request('sd/backends.list', {});
    assert.deepEqual(backends.map((x) => [x.name, x.kind, x.state]), [['gpu-a', 'a1111', 'up'], ['gpu-b', 'a1111', 'up']]);
    assert.ok(backends.every((x) => x.models.some((m) => /^tiny/.test(m))), JSON.stringify(backends));
  });

  it('8 jobs spread over both; gpu-b killed mid-batch; every job completes with its infotext saved here', async () => {
    const ran = new Map<string, Set<string>>();
    let killedJob: string | undefined;
    front.on('sd/job.state', (s: JobStateNotification) => {
      if (s.state === 'running' && s.backend) (ran.get(s.jobId) ?? ran.set(s.jobId, new Set()).get(s.jobId)!).add(s.backend);
    });
    let previews = 0;
    front.on('sd/job.preview', () => previews++);
    front.on('sd/job.progress', (p) => {
      // Kill gpu-b while it is sampling a job of ours: at its first progress report (polled every POLL_MS), which
      // long jobs make sure comes before the job ends even on a quiet machine.
      if (killedJob === undefined && ran.get(p.jobId)?.has('gpu-b') && p.step >= 1 && p.step < p.steps) {
        killedJob = p.jobId;
        b.child.kill('SIGKILL');
      }
    });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        front.request('sd/img2img', { prompt: `job ${i}`, seed: 100 + i, steps: 400, width: 64, height: 64, sampler_name: 'Euler', jobId: `job-${i}` }),
      ),
    ) as GenerationResult[];
    assert.ok(killedJob, 'gpu-b never ran a job long enough to be killed mid-job');
    const lanes = new Set([...ran.values()].flatMap((s) => [...s]));
    assert.deepEqual([...lanes].sort(), ['gpu-a', 'gpu-b'], 'the batch was spread over both backends');
    assert.deepEqual([...ran.get(killedJob)!].sort(), ['gpu-a', 'gpu-b'], 'the killed job was retried on gpu-a');
    results.forEach((r, i) => {
      const img = r.images[0]!;
      assert.equal(r.images.length, 1);
      assert.ok(r.backend === 'gpu-a' || r.backend === 'gpu-b');
      if (`job-${i}` === killedJob) assert.equal(r.backend, 'gpu-a');
      assert.equal(img.seed, 100 + i);
      const parsed = parseGenerationParameters(img.infotext);
      assert.equal(parsed.prompt, `job ${i}`);
      assert.equal(parsed.fields['Seed'], String(100 + i));
      assert.equal(parsed.fields['Steps'], '400');
      assert.equal(parsed.fields['Model'], 'tiny');
      assert.ok(img.path && img.path.startsWith(join(work, 'out-front', 'txt2img-images')), img.path);
      assert.ok(existsSync(img.path));
      const chunk = readPngTextChunks(readFileSync(img.path)).find((c) => c.keyword === 'parameters');
      assert.equal(chunk?.text, img.infotext);
    });
    assert.ok(previews > 0, 'previews streamed from the backends');
    const { backends } = await front.request('sd/backends.list', {});
    assert.equal(backends.find((x) => x.name === 'gpu-b')?.state, 'down');
  });

  it('--backend NAME sends a job to that backend only; an unknown name is refused', async () => {
    const r = await front.request('sd/img2img', { prompt: 'pinned', seed: 1, steps: 2, width: 64, height: 64, backend: 'gpu-a' });
    assert.equal(r.backend, 'gpu-a');
    await assert.rejects(front.request('sd/img2img', { prompt: 'x', backend: 'nope' }), /no backend named "nope"/);
  });

  it('hires fix and this daemon\'s styles reach an A1111 backend as its request fields', async () => {
    const r = await front.request('sd/img2img', {
      prompt: 'a street', styles: ['noir'], seed: 2, steps: 2, width: 64, height: 64, backend: 'gpu-a', send_images: true,
      enable_hr: true, hr_scale: 1.5, hr_second_pass_steps: 2, denoising_strength: 0.5,
    });
    assert.equal(r.backend, 'gpu-a');
    assert.deepEqual([r.images[0]!.width, r.images[0]!.height], [96, 96]);
    assert.match(r.images[0]!.infotext, /^a street, film noir\nNegative prompt: colour\n/);
    assert.match(r.images[0]!.infotext, /Denoising strength: 0\.5, .*Hires upscale: 1\.5, Hires steps: 2/);
  });

  it('extras with backend: the upscale model runs on the A1111 server, the result is saved here with its extras text', async () => {
    const src = join(work, 'small.png');
    writeFileSync(src, await sharp({ create: { width: 16, height: 16, channels: 3, background: '#5a5' } }).png().toBuffer());
    const r = await front.request('sd/extras', { images: [src], backend: 'gpu-a', upscaler_1: 'ESRGAN-Slim 2x', upscaling_resize: 2, outdir: join(work, 'out-front') });
    assert.equal(r.failed, 0, JSON.stringify(r));
    assert.equal(r.images[0]!.width, 32);
    assert.equal(r.images[0]!.info, 'Postprocess upscale by: 2, Postprocess upscaler: ESRGAN-Slim 2x');
    assert.ok(r.images[0]!.path!.startsWith(join(work, 'out-front', 'extras-images')));
    await assert.rejects(front.request('sd/extras', { images: [src], backend: 'nope' }), /no backend named "nope"/);
  });

  it('the CLI takes the backends from a file and --backend NAME', () => {
    const file = join(work, 'backends.json');
    writeFileSync(file, JSON.stringify([{ name: 'gpu-a', kind: 'a1111', url: a.url }]));
    const r = runCli(['img2img', '--backends', file, '--backend', 'gpu-a', '--model', 'tiny', '-p', 'from the cli', '-s', '3', '--steps', '2', '-W', '64', '-H', '64', '-o', join(work, 'out-cli'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as GenerationResult;
    assert.equal(out.backend, 'gpu-a');
    assert.match(out.images[0]!.path!, /out-cli/);
    const bad = runCli(['img2img', '--backends', join(work, 'missing.json'), '-p', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--backends .*missing\.json: no such file/);
  });
});
