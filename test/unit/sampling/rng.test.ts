import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../../daemon/sampling';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRef, closeTo } from './ref';

const ref = loadRef('rng.json');

// torch's own output (test/fixtures/reference/torch_randn_cpu.py): ≥ 16 elements go through the AVX2
// Box–Muller with avx_mathfun's float32 log/sincos; 64-bit seeds keep their low 32 bits (at::mt19937).
interface TorchRef { full: { seed: string; n: number; bits: number[] }[]; hashed: { seed: string; n: number; sha256: string }[] }
const torchRef = JSON.parse(readFileSync(join('test', 'fixtures', 'reference', 'torch-randn-cpu.json'), 'utf8')) as TorchRef;
const bitsOf = (x: Float32Array): number[] => Array.from(new Int32Array(x.buffer, x.byteOffset, x.length));

test('CPU randn equals torch bit for bit on tensors of 16 to 27 653 elements, ragged tails and 64-bit seeds', () => {
  for (const v of torchRef.full) assert.deepEqual(bitsOf(createRng('cpu', BigInt(v.seed)).randn([v.n])), v.bits, `seed ${v.seed} n ${v.n}`);
  for (const v of torchRef.hashed) {
    const x = createRng('cpu', BigInt(v.seed)).randn([v.n]);
    assert.equal(createHash('sha256').update(new Uint8Array(x.buffer)).digest('hex'), v.sha256, `seed ${v.seed} n ${v.n}`);
  }
});

for (const v of ref.cpu.vectors) {
  test(`CPU randn seed ${v.seed} shape [${v.shape}] is bit-exact`, () => {
    const got = createRng('cpu', v.seed).randn(v.shape);
    assert.deepEqual(Array.from(got), v.values.map(Math.fround));
  });
}

for (const v of ref.nv.vectors) {
  for (const source of ['nv', 'gpu'] as const) {
    test(`${source} (Philox) seed ${v.seed} n ${v.n} within 1e-6`, () => {
      const rng = createRng(source, v.seed);
      for (let k = 0; k < v.offset; k++) rng.randn([1]);
      assert.equal(closeTo(rng.randn([v.n]), v.values, 1e-6), undefined);
    });
  }
}

test('NV: A1111 rng_philox docstring seed 12345 shape (8,)', () => {
  const want = [0.5786413, -0.5247555, -0.29190373, 0.01401389, -2.1647296, 0.27898726, 1.6163961, -0.1677887];
  assert.equal(closeTo(createRng('nv', 12345).randn([8]), want, 1e-6), undefined);
});

test('successive calls continue the generator (CPU and Philox)', () => {
  for (const s of ['cpu', 'nv'] as const) {
    const r = createRng(s, 7);
    const a = r.randn([20]), b = r.randn([20]);
    assert.notDeepEqual(Array.from(a), Array.from(b));
    assert.deepEqual(Array.from(createRng(s, 7).randn([20])), Array.from(a));
  }
});

test('CPU randn: ragged tail (n % 16 ≠ 0) and large tensors have unit statistics', () => {
  const x = createRng('cpu', 3).randn([4, 64, 65]);
  let m = 0, q = 0;
  for (const v of x) { m += v; q += v * v; }
  m /= x.length; q = q / x.length - m * m;
  assert.ok(Math.abs(m) < 0.02 && Math.abs(q - 1) < 0.02, `mean ${m} var ${q}`);
});

test('unknown RNG source is an error', () => {
  assert.throws(() => createRng('tpu' as never, 1), /valid: cpu, gpu, nv/);
});
