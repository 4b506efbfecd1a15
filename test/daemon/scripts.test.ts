// A1111's scripts on the tiny model: the X/Y/Z plot from the CLI, prompt matrix and prompts from file through
// the daemon — singles with their own infotexts, the labelled grid and its infotext.
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

const fieldsOf = (path: string): Record<string, string> => parseGenerationParameters(readPngTextChunks(readFileSync(path)).find((c) => c.keyword === 'parameters')!.text).fields;

/** Whether a region of an RGB image holds dark (text) pixels. */
async function hasInk(path: string, left: number, top: number, width: number, height: number): Promise<boolean> {
  const raw = await sharp(path).extract({ left, top, width, height }).removeAlpha().raw().toBuffer();
  return raw.some((v) => v < 100);
}

describe('X/Y/Z plot', () => {
  it('sd-studio xyz: a 2×3 grid over steps and sampler with labels, 6 singles with their own infotexts, the axes in the grid infotext', async () => {
    const outdir = join(work, 'xyz');
    const r = runCli(['xyz', '--model', modelDir, '--outdir', outdir, '-p', 'a lighthouse', '-W', '64', '-H', '64', '--seed', '5',
      '--x', 'Steps: 2-3', '--y', 'Sampler: Euler a, Euler,"DPM++ 2M"']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const singles = lines.filter((l) => !l.startsWith('grid: '));
    const grid = lines.find((l) => l.startsWith('grid: '))!.slice(6);
    assert.equal(singles.length, 6);
    const cells = singles.map((p) => fieldsOf(p)).map((f) => `${f['Steps']}/${f['Sampler']}/${f['Seed']}`).sort();
    assert.deepEqual(cells, ['2/DPM++ 2M/5', '2/Euler a/5', '2/Euler/5', '3/DPM++ 2M/5', '3/Euler a/5', '3/Euler/5']);
    assert.match(grid, /txt2img-grids[/\\]\d{4}-\d\d-\d\d[/\\]xyz_grid-0000\.png$/);
    const meta = await sharp(grid).metadata();
    // 2 columns × 3 rows of 64 px, plus A1111's legend: 48 px of row labels on the left, column labels on top.
    assert.equal(meta.width, 2 * 64 + 48);
    assert.ok(meta.height! > 3 * 64 && meta.height! < 3 * 64 + 20, `height ${meta.height}`);
    const padTop = meta.height! - 3 * 64;
    assert.ok(await hasInk(grid, 48, 0, 128, padTop), 'column labels drawn');
    assert.ok(await hasInk(grid, 0, padTop, 48, 3 * 64), 'row labels drawn');
    const f = fieldsOf(grid);
    assert.equal(f['Script'], 'X/Y/Z plot');
    assert.equal(f['X Type'], 'Steps');
    assert.equal(f['X Values'], '2-3');
    assert.equal(f['Y Type'], 'Sampler');
    assert.equal(f['Y Values'], 'Euler a, Euler,"DPM++ 2M"');
    assert.equal(f['Steps'], '2');
    assert.equal(f['Sampler'], 'Euler a');
  });

  it('bad axes are errors that name the field', async () => {
    await assert.rejects(daemon.request('sd/xyz', { x: { type: 'Steps', values: 'ten' }, params: { prompt: 'x', save_images: false } }),
      (e: { data?: { field?: string } }) => e.data?.field === 'x.values');
    await assert.rejects(daemon.request('sd/xyz', { x: { type: 'Sampler', values: 'Euler b' }, params: { prompt: 'x', save_images: false } }),
      (e: { data?: { field?: string } }) => e.data?.field === 'x.values');
    await assert.rejects(daemon.request('sd/xyz', { y: { type: 'Sideways', values: '1' }, params: { prompt: 'x', save_images: false } }),
      (e: { data?: { field?: string } }) => e.data?.field === 'y.type');
  });
});

describe('prompt matrix and prompts from file', () => {
  it('prompt matrix: every combination of the | parts, the legend grid', async () => {
    const r = await daemon.request('sd/promptMatrix', { params: { prompt: 'a cat|in snow|at night', steps: 2, width: 64, height: 64, seed: 3, outdir: join(work, 'matrix') } });
    assert.deepEqual(r.images.map((i) => parseGenerationParameters(i.infotext).prompt), ['a cat', 'a cat, in snow', 'a cat, at night', 'a cat, in snow, at night']);
    assert.ok(r.images.every((i) => i.seed === 3));
    const g = r.grids![0]!;
    assert.match(g.path!, /prompt_matrix-0000\.png$/);
    // 2 × 2 cells (rows = 1 << (2 // 2)), labels on top and left.
    assert.equal(g.width, 2 * 64 + 48);
    assert.ok(g.height > 2 * 64);
  });

  it('prompts from file: a line per job, options per line, seeds iterated', async () => {
    const text = 'a red door\n\n--prompt "a blue door" --steps 3 --seed 40\n--negative_prompt fog --cfg_scale 4';
    const r = await daemon.request('sd/promptsFromFile', { text, iterate_seed: true, params: { prompt: 'photo', steps: 2, width: 64, height: 64, seed: 10, save_images: false } });
    const f = r.images.map((i) => parseGenerationParameters(i.infotext));
    assert.deepEqual(f.map((x) => x.prompt), ['a red door photo', 'a blue door photo', 'photo']);
    assert.deepEqual(f.map((x) => x.fields['Steps']), ['2', '3', '2']);
    assert.deepEqual(r.images.map((i) => i.seed), [10, 40, 12]);
    assert.equal(f[2]!.negativePrompt, 'fog');
    assert.equal(f[2]!.fields['CFG scale'], '4');
  });
});
