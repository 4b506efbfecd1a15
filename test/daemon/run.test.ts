// `sd-studio run FILE.sdprompt`: every spec runs (txt2img, img2img, inpaint), a broken spec is reported by
// number and problem while the others still run, the model comes from the spec's "Model:" found in the models
// root, `@outdir` is relative to the file, `--only` picks specs; exit 1 when any spec failed.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { writeTinySdModel } from '../../models/testModel/tinySd';
import { drawDemoImage } from '../../daemon/cli/demoImage';
import { runCli, tempDir } from './harness';

const work = tempDir();
const root = join(work, 'models');
const docs = join(work, 'prompts');
const file = join(docs, 'set.sdprompt');

before(async () => {
  await writeTinySdModel(join(root, 'Stable-diffusion', 'tiny'));
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, 'cat.png'), await drawDemoImage(64, 64));
  writeFileSync(join(docs, 'mask.png'), await drawDemoImage(64, 64));
  writeFileSync(file, [
    'a lighthouse at dusk',
    'Steps: 2, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 64x64, Model: tiny',
    '---',
    '@init: ./missing.png',
    'a castle',
    'Steps: 2, Sampler: Euler, CFG scale: 7, Seed: 6, Size: 64x64, Denoising strength: 0.5, Model: tiny',
    '---',
    '@init: ./cat.png',
    '@mask: ./mask.png',
    '@outdir: ./out',
    'a cat on a mat',
    'Steps: 2, Sampler: Euler, CFG scale: 7, Seed: 7, Size: 64x64, Denoising strength: 0.6, Mask blur: 4, Model: tiny',
    '---',
    'a spec for a model nobody has',
    'Steps: 2, Sampler: Euler, CFG scale: 7, Seed: 8, Size: 64x64, Model: nowhere_v2, Model hash: 0123456789',
    '',
  ].join('\n'));
});

const env = () => ({ SD_STUDIO_MODELS_ROOT: root, SD_STUDIO_MODEL: '', SD_STUDIO_OUTPUT_DIR: join(work, 'outputs') });

describe('sd-studio run', () => {
  it('runs every spec, reports the broken ones by number and problem, keeps going, exits 1', () => {
    const r = runCli(['run', file], env());
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines.find((l) => l.includes('spec 1 '))!, /^done +spec 1 \(line 1, "a lighthouse at dusk"\): 1 image/);
    assert.match(lines.find((l) => l.includes('spec 2 '))!, /^failed +spec 2 \(line 4, "a castle"\): init_images\[0\]: image file not found: .*missing\.png/);
    assert.match(lines.find((l) => l.includes('spec 3 '))!, /^done +spec 3 .*: 1 image/);
    assert.match(lines.find((l) => l.includes('spec 4 '))!, /^failed +spec 4 .*Model: nowhere_v2, Model hash: 0123456789 is not in .*models/);
    assert.match(r.stdout, /2 of 4 specs done, 2 failed/);
    assert.match(r.stderr, /spec 2 \(line 4, "a castle"\) failed: .*missing\.png/);
    const paths = lines.filter((l) => /^\s+\S+\.png$/.test(l)).map((l) => l.trim());
    assert.equal(paths.length, 2);
    assert.match(paths[0]!, /outputs[/\\]txt2img-images[/\\].*-5\.png$/);
    assert.ok(paths[1]!.startsWith(join(docs, 'out', 'img2img-images')), `@outdir is relative to the file: ${paths[1]}`);
    for (const p of paths) assert.ok(existsSync(p), p);
  });

  it('--only runs the specs named (numbers from 1); all good: exit 0, JSON report', () => {
    const r = runCli(['run', file, '--only', '1,3', '--json'], env());
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { specs: Array<{ index: number; status: string; model: string; images: unknown[] }>; done: number; failed: number };
    assert.deepEqual(j.specs.map((s) => [s.index, s.status, s.images.length]), [[0, 'done', 1], [2, 'done', 1]]);
    assert.equal(j.specs[0]!.model, join(root, 'Stable-diffusion', 'tiny'), 'found by the spec\'s Model: name');
    const bad = runCli(['run', file, '--only', '9'], env());
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /only: no spec \[8\] in .*set\.sdprompt: it has 0, 1, 2, 3/);
  });
});
