// Emphasis "Original" and combine_denoised, as pure maths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEmphasisOriginal, combineDenoised } from '../../../daemon/prompt';

test('emphasis multiplies each token, then restores the original mean', () => {
  const dim = 3;
  const hidden = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  const before = mean(hidden);
  applyEmphasisOriginal(hidden, Float32Array.from([1, 2]), dim);
  assert.ok(Math.abs(mean(hidden) - before) < 1e-6);
  // ratio between the rows reflects the weights
  assert.ok(Math.abs(hidden[3]! / hidden[0]! - 8) < 1e-5);
  const scale = 21 / (6 + 30);
  assert.ok(Math.abs(hidden[0]! - 1 * scale) < 1e-6);
  assert.throws(() => applyEmphasisOriginal(new Float32Array(5), Float32Array.from([1, 1]), 3));
});

test('all weights 1: unchanged', () => {
  const hidden = Float32Array.from([0.5, -1.25, 3, 7]);
  const copy = hidden.slice();
  applyEmphasisOriginal(hidden, Float32Array.from([1, 1]), 2);
  assert.deepEqual(hidden, copy);
});

test('combine_denoised: uncond + Σ w·cfg·(cond − uncond), in place allowed', () => {
  const u = Float32Array.from([1, 2]);
  const c1 = Float32Array.from([3, 2]);
  const c2 = Float32Array.from([1, 6]);
  const out = combineDenoised(u, [{ x: c1, weight: 1 }, { x: c2, weight: 0.5 }], 7, new Float32Array(2));
  assert.deepEqual([...out], [1 + 7 * 2, 2 + 0.5 * 7 * 4]);
  combineDenoised(u, [{ x: c1, weight: 1 }], 1, u);
  assert.deepEqual([...u], [3, 2]);
});
