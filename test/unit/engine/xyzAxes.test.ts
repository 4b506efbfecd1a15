// The X/Y/Z plot's value syntax as A1111's xyz_grid.process_axis reads it, and its legend labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axisLabel, axisValues, csvValues, findAxis } from '../../../daemon/scripts/xyzAxes';
import { cmdArgs, shlexSplit } from '../../../daemon/scripts/promptsFromFile';
import { matrixPrompts, matrixRows } from '../../../daemon/scripts/promptMatrix';
import type { Img2ImgParams } from '../../../daemon/protocol';

const values = (label: string, text: string) => axisValues(findAxis(label)!, text);

test('int axes: lists, ranges with steps, ranges with counts', () => {
  assert.deepEqual(values('Steps', '10, 20,30'), [10, 20, 30]);
  assert.deepEqual(values('Steps', '1-5'), [1, 2, 3, 4, 5]);
  assert.deepEqual(values('Steps', '1-5 (+2)'), [1, 3, 5]);
  assert.deepEqual(values('Steps', '10-1 (-3)'), [10, 7, 4]); // Python's range(10, 2, -3)
  assert.deepEqual(values('Steps', '10-20 [5]'), [10, 12, 15, 17, 20]);
  assert.deepEqual(values('Seed', '-1, 5'), [-1, 5]);
  assert.throws(() => values('Steps', '7.5'), /int\(\)/);
});

test('float axes: np.arange and np.linspace as A1111 calls them', () => {
  assert.deepEqual(values('CFG Scale', '5-7'), [5, 6, 7]);
  assert.deepEqual(values('CFG Scale', '1-2 (+0.5)'), [1, 1.5, 2]);
  assert.deepEqual(values('CFG Scale', '0-1 [3]'), [0, 0.5, 1]);
  assert.deepEqual(values('Denoising', '0.25, .5'), [0.25, 0.5]);
  assert.equal(axisLabel(findAxis('CFG Scale')!, 7), 'CFG Scale: 7.0');
  assert.equal(axisLabel(findAxis('Steps')!, 20), 'Steps: 20');
  assert.equal(axisLabel(findAxis('Sampler')!, 'Euler a'), 'Euler a');
  assert.equal(axisLabel(findAxis('Nothing')!, 0), '');
});

test('speed axes: token merging ratios as per-job options, NGMS as the s_min_uncond field', () => {
  const p: Img2ImgParams = { override_settings: { CLIP_stop_at_last_layers: 2 } };
  findAxis('Token merging ratio')!.apply(p, 0.5, [0.5]);
  findAxis('Token merging ratio high-res')!.apply(p, 0.3, [0.3]);
  findAxis('Negative Guidance minimum sigma')!.apply(p, 2, [2]);
  assert.deepEqual(p, { override_settings: { CLIP_stop_at_last_layers: 2, token_merging_ratio: 0.5, token_merging_ratio_hr: 0.3 }, s_min_uncond: 2 });
  assert.deepEqual(values('Token merging ratio', '0-0.5 [3]'), [0, 0.25, 0.5]);
  assert.equal(axisLabel(findAxis('Token merging ratio')!, 0.5), 'Token merging ratio: 0.5');
});

test('string axes: CSV with quotes, Prompt S/R, Prompt order permutations', () => {
  assert.deepEqual(csvValues('a,"b, c" ,d'), ['a', 'b, c', 'd']);
  assert.deepEqual(csvValues('a, "b, c"'), ['a', '"b', 'c"']); // Python's csv: a quote after a space is a character
  assert.deepEqual(values('Prompt order', 'x, y, z').map((v) => (v as string[]).join('')), ['xyz', 'xzy', 'yxz', 'yzx', 'zxy', 'zyx']);
  const p = { prompt: 'a cat in a hat', negative_prompt: 'cat hair' };
  findAxis('Prompt S/R')!.apply(p, 'dog', ['cat', 'dog']);
  assert.deepEqual(p, { prompt: 'a dog in a hat', negative_prompt: 'dog hair' });
  assert.throws(() => findAxis('Prompt S/R')!.apply({ prompt: 'x' }, 'y', ['cat']), /did not find cat/);
  const q = { prompt: 'red, ball, big' };
  findAxis('Prompt order')!.apply(q, ['big', 'red', 'ball'], []);
  assert.equal(q.prompt, 'big, red, ball');
});

test('prompt matrix prompts and rows; prompts-from-file lines', () => {
  assert.deepEqual(matrixPrompts('a cat |in snow,| at night', { putAtStart: false, delimiter: 'comma' }).prompts, ['a cat ', 'a cat , in snow', 'a cat , at night', 'a cat , in snow, at night']);
  assert.deepEqual(matrixPrompts('a|b', { putAtStart: true, delimiter: 'space' }).prompts, ['a', 'b a']);
  assert.equal(matrixRows(['a', 'b', 'c', 'd']), 2);
  assert.deepEqual(shlexSplit(`--prompt "a \\"big\\" dog" --sampler_name 'Euler a' x\\ y`), ['--prompt', 'a "big" dog', '--sampler_name', 'Euler a', 'x y']);
  assert.deepEqual(cmdArgs('--prompt a red door --steps 30 --cfg_scale 4.5 --restore_faces true'), { prompt: 'a red door', steps: 30, cfg_scale: 4.5, restore_faces: true });
  assert.throws(() => cmdArgs('--frobnicate 1'), /unknown commandline option/);
});
