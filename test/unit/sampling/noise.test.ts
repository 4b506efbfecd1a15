import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createImageNoise, createRng, slerp } from '../../../daemon/sampling';

const shape: [number, number, number] = [4, 8, 8];

test('per-image generators: image k of a batch equals its seed alone; next() continues each generator', () => {
  const b = createImageNoise({ source: 'cpu', seeds: [10, 11], shape });
  const f = b.first(), n = b.next();
  const g = createRng('cpu', 11);
  assert.deepEqual(Array.from(f.subarray(256)), Array.from(g.randn(shape)));
  assert.deepEqual(Array.from(n.subarray(256)), Array.from(g.randn(shape)));
});

test('ENSD: after the first draw, generators are re-created with seed + ENSD', () => {
  const b = createImageNoise({ source: 'nv', seeds: [5], shape, ensd: 31337 });
  const f = b.first(), n = b.next();
  assert.deepEqual(Array.from(f), Array.from(createRng('nv', 5).randn(shape)));
  assert.deepEqual(Array.from(n), Array.from(createRng('nv', 5 + 31337).randn(shape)));
});

test('variation seed: strength 0 = seed noise, 1 = subseed noise; slerp per (channel, column)', () => {
  const a = createRng('cpu', 1).randn(shape), b = createRng('cpu', 2).randn(shape);
  const at = (s: number) => createImageNoise({ source: 'cpu', seeds: [1], subseeds: [2], subseedStrength: s, shape }).first();
  const e0 = at(1e-9), e1 = at(1);
  e0.forEach((v, i) => assert.ok(Math.abs(v - a[i]!) < 1e-5));
  e1.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-5));
  const half = at(0.5), ref = slerp(0.5, a, b, shape);
  assert.deepEqual(Array.from(half), Array.from(ref));
});

test('slerp quirk: nearly parallel inputs use reversed linear weights', () => {
  const a = createRng('cpu', 3).randn(shape);
  const b = a.map((v) => v * 1.0001);
  const r = slerp(0.25, a, b, shape);
  r.forEach((v, i) => assert.ok(Math.abs(v - (a[i]! * 0.25 + b[i]! * 0.75)) < 1e-6));
});

test('seed resize: small noise pasted centred into a fresh full-size draw from the image generator', () => {
  const n = createImageNoise({ source: 'cpu', seeds: [7], shape: [4, 8, 8], seedResizeFromH: 32, seedResizeFromW: 48 }).first();
  const small = createRng('cpu', 7).randn([4, 4, 6]);
  const big = createRng('cpu', 7).randn([4, 8, 8]);
  // dy = 2, dx = 1
  assert.equal(n[(0 * 8 + 2) * 8 + 1], small[0]);
  assert.equal(n[0], big[0]);
  const crop = createImageNoise({ source: 'cpu', seeds: [7], shape: [4, 4, 4], seedResizeFromH: 64, seedResizeFromW: 64 }).first();
  const src = createRng('cpu', 7).randn([4, 8, 8]);
  assert.equal(crop[0], src[(0 * 8 + 2) * 8 + 2]);
});
