// Failing loudly and losing nothing, through the built CLI and daemon: a daemon killed mid-job is a failure the
// CLI reports; existing files are never replaced unless asked; patterns never lead outside the output folder;
// settings are checked; a bad file in the models root is a warning, not a failed job; reading a slow image's
// metadata does not hold up other requests.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResponseError } from 'vscode-languageserver/node';
import { writeSafetensors } from '../../models/formats/safetensors';
import { withPngText } from '../../daemon/infotext/pngChunks';
import { drawDemoImage } from '../../daemon/cli/demoImage';
import { ErrorCodes } from '../../daemon/protocol';
import { INTERROGATE_DEFAULTS } from '../../daemon/settings';
import { HOSTILE_FILES } from '../fixtures/hostileFiles';
import { sharedPath } from '../sharedPath';
import { writeTinySdModel } from '../../models/testModel/tinySd';
import { CLI, runCli, startDaemon, tempDir, type TestDaemon } from './harness';

const work = tempDir('sd-studio-loud-');
const modelDir = join(work, 'tiny');
const source = join(work, 'source.png');
const tiny = ['--model', modelDir, '-W', '64', '-H', '64', '--steps', '2', '--seed', '7'];

before(async () => {
  await writeTinySdModel(modelDir);
  writeFileSync(source, withPngText(await drawDemoImage(64, 64), [['parameters', 'a red barn\nSteps: 2, Sampler: Euler a, CFG scale: 7, Seed: 7, Size: 64x64']]));
});

/** Every file under `dir`, relative. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)).map((f) => join(n, f)) : [n]));
}

describe('a daemon that dies mid-job', () => {
  it('makes the CLI print "daemon exited (signal SIGKILL)" and exit 1', async () => {
    // The daemon says its pid through a preload (test/fixtures/daemonPid.cjs): the kill hits exactly that process.
    const pidFile = join(work, 'daemon.pid');
    const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(resolve('test/fixtures/daemonPid.cjs'))}`, SD_STUDIO_TEST_DAEMON_PID_FILE: pidFile };
    const cli = spawn(process.execPath, [CLI, 'img2img', ...tiny, '--steps', '1000', '-p', 'x', '--outdir', join(work, 'killed')], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stderr = '';
    let killed = false;
    cli.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The first progress line means the job runs: kill the daemon (the CLI's child) now.
      if (!killed && /step \d+\/1000/.test(stderr)) {
        killed = true;
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      }
    });
    // Bounded: a CLI that outlives its daemon fails this test instead of holding up the run.
    const timer = setTimeout(() => cli.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((r) => cli.on('exit', (c) => r(c)));
    clearTimeout(timer);
    assert.ok(killed, `the job never reported progress: ${stderr}`);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /daemon exited \(signal SIGKILL\)/);
  });
});

describe('existing files are never replaced unless asked', () => {
  const keep = 'a note the user wrote\n';
  const existing = (name: string): string => {
    const p = join(work, name);
    writeFileSync(p, keep);
    return p;
  };
  const env = { SD_STUDIO_CACHE_DIR: join(work, 'cache') };

  it('convert: refused (exit 1, file untouched), replaced with --overwrite', () => {
    const input = sharedPath('models-fixtures', 'torch-pickles', 'flat_fp16.pt');
    const out = existing('out.safetensors');
    const r = runCli(['convert', input, out], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /out\.safetensors: the file exists; nothing was written/);
    assert.equal(readFileSync(out, 'utf8'), keep);
    assert.equal(runCli(['convert', input, out, '--overwrite'], env).code, 0);
    assert.notEqual(readFileSync(out, 'utf8'), keep);
  });

  it('merge: refused, replaced with --overwrite', async () => {
    const a = join(work, 'a.safetensors');
    await writeSafetensors(a, [{ name: 'model.diffusion_model.w', dtype: 'F32', shape: [2], data: new Uint8Array(8) }]);
    const out = existing('merged.safetensors');
    const args = ['merge', '--primary', a, '--method', 'no-interpolation', '--multiplier', '0', '--out', out];
    const r = runCli(args, env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /merged\.safetensors: the file exists/);
    assert.equal(readFileSync(out, 'utf8'), keep);
    assert.equal(runCli([...args, '--overwrite'], env).code, 0);
    assert.notEqual(readFileSync(out, 'utf8'), keep);
  });

  it('pnginfo --to-sdprompt: refused, replaced with --overwrite', () => {
    const out = existing('specs.sdprompt');
    const r = runCli(['pnginfo', source, '--to-sdprompt', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /specs\.sdprompt: the file exists/);
    assert.equal(readFileSync(out, 'utf8'), keep);
    assert.equal(runCli(['pnginfo', source, '--to-sdprompt', out, '--overwrite']).code, 0);
    assert.match(readFileSync(out, 'utf8'), /a red barn/);
  });

  it('sd/pngInfo.write: OutputExists, replaced with overwrite: true', async () => {
    const d = await startDaemon();
    try {
      const out = existing('copy.png');
      const err = await d.request('sd/pngInfo.write', { file: source, out, infotext: 'new' }).catch((e: unknown) => e);
      assert.ok(err instanceof ResponseError && err.code === ErrorCodes.OutputExists, String(err));
      assert.equal(readFileSync(out, 'utf8'), keep);
      await d.request('sd/pngInfo.write', { file: source, out, infotext: 'new', overwrite: true });
      assert.notEqual(readFileSync(out, 'utf8'), keep);
    } finally {
      await d.stop();
    }
  });
});

describe('with one daemon', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon({ model: modelDir, previewEvery: 0 });
  });
  after(() => d?.stop());

  it('file and directory patterns never lead outside the output folder', async () => {
    const outdir = join(work, 'deep', 'down', 'out');
    await d.request('sd/settings.update', { settings: { filenamePattern: '/../../../escaped-[seed]', directoryPattern: '../../up/[seed]/..' } });
    const r = await d.request('sd/img2img', { prompt: 'x', steps: 1, width: 64, height: 64, seed: 3, outdir });
    await d.request('sd/settings.update', { settings: { filenamePattern: '', directoryPattern: '[date]' } });
    const path = r.images[0]!.path!;
    assert.ok(path.startsWith(join(outdir, 'txt2img-images') + sep), path);
    assert.deepEqual(relative(join(outdir, 'txt2img-images'), path).split(sep), ['up', '3', '00000-_.._.._.._escaped-3.png']);
    assert.deepEqual(files(join(work, 'deep')), [relative(join(work, 'deep'), path)]);
  });

  it('sd/settings.update checks every field and names the bad one', async () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ threads: -1 }, /settings\.threads: -1 is out of range/],
      [{ threads: 1.5 }, /settings\.threads: expected an integer/],
      [{ executionProvider: 'gpu' }, /settings\.executionProvider: unknown value "gpu"/],
      [{ previewEvery: '10' }, /settings\.previewEvery: expected an integer, got "10"/],
      [{ outputDir: '' }, /settings\.outputDir: must not be empty/],
      [{ img2imgFixSteps: 'yes' }, /settings\.img2imgFixSteps: expected true or false/],
      [{ upscalerTileSize: 4 }, /settings\.upscalerTileSize: 4 is out of range/],
      [{ noSuchSetting: 1 }, /settings\.noSuchSetting: unknown setting/],
      [{ cacheLimitGB: -1 }, /settings\.cacheLimitGB: -1 is out of range/],
      [{ backends: [{ name: 'gpu', kind: 'a1111', url: 'ftp://x' }] }, /settings\.backends\[0\]: url must be http/],
      [{ interrogate: { ...INTERROGATE_DEFAULTS, clipNumBeams: 0 } }, /settings\.interrogate\.clipNumBeams: 0 is out of range/],
      [{ interrogate: { ...INTERROGATE_DEFAULTS, typo: 1 } }, /settings\.interrogate\.typo: unknown field/],
    ];
    const before = await d.request('sd/settings.update', { settings: {} });
    for (const [settings, message] of bad) {
      const err = await d.request('sd/settings.update', { settings: settings as never }).catch((e: unknown) => e);
      assert.ok(err instanceof ResponseError && err.code === ErrorCodes.InvalidParams, `${JSON.stringify(settings)}: ${String(err)}`);
      assert.match(err.message, message);
    }
    assert.deepEqual(await d.request('sd/settings.update', { settings: {} }), before, 'a refused update changes nothing');
    await assert.rejects(startDaemon({ threads: -2 }), /settings\.threads: -2 is out of range/);
  });

  it('an output folder that cannot take files fails the job before any work', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a folder');
    for (const [outdir, message] of [[file, /a-file: not a folder/], [join(file, 'below'), /below: cannot be created: .*a-file is not a folder/]] as const) {
      const t0 = Date.now();
      await assert.rejects(d.request('sd/img2img', { prompt: 'x', steps: 1, width: 64, height: 64, seed: 3, outdir }), message);
      assert.ok(Date.now() - t0 < 2000, `refused after ${Date.now() - t0} ms`);
    }
    assert.equal(readFileSync(file, 'utf8'), 'not a folder');
  });

  it('reading a slow image does not hold up other requests (a worker reads it)', async () => {
    // Legal but slow to read: a 120 KB infotext nested 40 000 brackets deep (its emphasis check runs to its budget).
    const slow = join(work, 'slow.png');
    const infotext = `${'(a'.repeat(40_000)}${')'.repeat(40_000)}\nSteps: 2, Sampler: Euler a, CFG scale: 7`;
    writeFileSync(slow, withPngText(await drawDemoImage(8, 8), [['parameters', infotext]]));
    const order: string[] = [];
    const read = d.request('sd/pngInfo.read', { files: Array(4).fill(slow) }).then(() => order.push('read'));
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await d.request('sd/samplers.list', {}).then(() => order.push('samplers'));
    const answeredIn = Date.now() - t0;
    await read;
    assert.deepEqual(order, ['samplers', 'read'], `samplers.list waited ${answeredIn} ms`);
  });
});

describe('a bad file in the models root never stops generation', () => {
  it('unreadable embedding, LoRA and VAE-approx files and a LoRA tag naming no file are warnings; the job goes on', () => {
    const root = join(work, 'models-root');
    for (const sub of ['embeddings', 'Lora', 'VAE-approx']) mkdirSync(join(root, sub), { recursive: true });
    const hostile = HOSTILE_FILES['pickle-negative-length']!(join(root, 'embeddings')); // once looped the daemon forever
    writeFileSync(join(root, 'Lora', 'broken.safetensors'), 'not a LoRA');
    writeFileSync(join(root, 'VAE-approx', 'taesd_decoder.safetensors'), Buffer.alloc(64, 7));
    const outdir = join(work, 'root-out');
    const r = runCli(['img2img', ...tiny, '-p', 'a cat <lora:missing:1> <lora:broken:0.5>', '--outdir', outdir, '--json'], {
      SD_STUDIO_MODELS_ROOT: root, SD_STUDIO_PREVIEW: 'taesd', SD_STUDIO_CACHE_DIR: join(work, 'cache'),
    });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { images: Array<{ path: string }>; warnings?: string[] };
    assert.equal(result.images.length, 1);
    const warnings = (result.warnings ?? []).join('\n');
    assert.match(warnings, /LoRA "missing" not found in .*Lora: the tag is ignored/);
    assert.match(warnings, /LoRA file .*broken\.safetensors cannot be read, skipped/);
    assert.match(warnings, new RegExp(`embedding file ${hostile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} skipped: .*negative BINSTRING length`));
    assert.match(warnings, /VAE-approx file .*taesd_decoder\.safetensors cannot be used/);
    // and the CLI showed them as they happened
    assert.match(r.stderr, /warning: LoRA "missing" not found/);
    assert.match(r.stderr, /warning: embedding file .*negative\.pt skipped/);
  });
});
