import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '../../../models/formats/safetensors';
import { f16BitsToF32, f32ToF16Bits } from '../../../models/graph/float16';
import { mergeCheckpoints } from '../../../models/merge';
import { createF16Kernels, f16MergeScalar, type F16Op } from '../../../models/mergeKernels/f16';
import { sha256Full } from '../../../models/hash';

/** Deterministic 32-bit generator. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** Random half bit patterns, biased towards the edges: zeros, subnormals, the largest normals, inf, NaN. */
function halves(n: number, seed: number): Uint16Array {
  const r = rng(seed);
  const out = new Uint16Array(n);
  const special = [0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x83ff, 0x0400, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0xfe00, 0x7c01, 0x7fff, 0x3c00];
  for (let i = 0; i < n; i++) {
    const x = r();
    const kind = x & 7;
    if (kind === 0) out[i] = special[(x >>> 3) % special.length]!;
    else if (kind === 1) out[i] = ((x >>> 16) & 0x83ff); // subnormal
    else out[i] = x >>> 16; // anything
  }
  return out;
}

/** The formula in JS numbers, rounded to f32 then to half by the project's reference converter. */
function reference(op: F16Op, m: number, a: Uint16Array, b: Uint16Array, c: Uint16Array | null): Uint16Array {
  const [fa, fb] = [f16BitsToF32(a), f16BitsToF32(b)];
  const fc = c ? f16BitsToF32(c) : null;
  const f = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    f[i] = op === 'weighted-sum' ? (1 - m) * fa[i]! + m * fb[i]! : fc ? fa[i]! + m * (fb[i]! - fc[i]!) : fa[i]!;
  }
  return f32ToF16Bits(f);
}

const isNaN16 = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

/** Bit-exact, except that any NaN matches any NaN (payloads are not kept). */
function assertSameHalves(got: Uint16Array, want: Uint16Array, what: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i] && !(isNaN16(got[i]!) && isNaN16(want[i]!))) {
      assert.fail(`${what}[${i}]: got 0x${got[i]!.toString(16)}, want 0x${want[i]!.toString(16)}`);
    }
  }
}

for (const simd of [true, false]) {
  test(`fp16 merge kernel (${simd ? 'WebAssembly SIMD' : 'scalar'}) is bit-exact vs the reference, subnormals/inf/NaN included`, () => {
    const n = 65536 + 13; // every half pattern once as A, plus a tail that is not a multiple of 8
    const k = createF16Kernels(8 * n + 64, { simd });
    if (simd) assert.equal(k.simd, true, 'WebAssembly SIMD is available on Node ≥ 20');
    const at = (i: number) => 2 * n * i + 2; // odd multiples of 2: unaligned for v128 on purpose
    const view = (i: number) => new Uint16Array(k.bytes.buffer, at(i), n);
    for (const [op, withC] of [['weighted-sum', false], ['add-difference', true], ['add-difference', false]] as [F16Op, boolean][]) {
      for (const m of [0.3, 0.5, 0, 1, -1.7, 1e-3, 7, 1 / 3]) {
        const a = Uint16Array.from({ length: n }, (_, i) => i & 0xffff);
        const b = halves(n, 17 + m * 1000);
        const c = halves(n, 99 + m * 1000);
        view(0).set(a);
        view(1).set(b);
        view(2).set(c);
        k.run(op, m, at(0), at(1), withC ? at(2) : -1, at(3), n);
        const want = reference(op, m, a, b, withC ? c : null);
        assertSameHalves(view(3), want, `${op}${withC ? '' : ' (no C)'} m=${m}`);
        const scalar = new Uint16Array(n);
        f16MergeScalar(op, m, a, b, withC ? c : null, scalar);
        assertSameHalves(scalar, want, `scalar ${op} m=${m}`);
      }
    }
  });
}

test('kernel runs in place (output over A) and on every length 0..40', () => {
  const k = createF16Kernels(1 << 16);
  for (let n = 0; n <= 40; n++) {
    const a = halves(n, n + 1), b = halves(n, n + 2);
    const A = new Uint16Array(k.bytes.buffer, 0, n), B = new Uint16Array(k.bytes.buffer, 1024, n);
    A.set(a);
    B.set(b);
    k.run('weighted-sum', 0.25, 0, 1024, -1, 0, n);
    assertSameHalves(A, reference('weighted-sum', 0.25, a, b, null), `n=${n}`);
  }
});

const tmp = () => mkdtempSync(join(tmpdir(), 'sd-merge-k-'));

async function fp16Model(path: string, seed: number, extra: { name: string; dtype: 'F32' | 'F16'; shape: number[] }[] = []): Promise<void> {
  const r = rng(seed);
  const tensors = [
    { name: 'model.diffusion_model.a.weight', dtype: 'F16' as const, shape: [37, 11] },
    { name: 'model.diffusion_model.b.bias', dtype: 'F16' as const, shape: [5] },
    { name: 'model.diffusion_model.c.weight', dtype: 'F16' as const, shape: [3, 3, 3, 7] },
    { name: 'alphas_cumprod', dtype: 'F32' as const, shape: [9] },
    ...extra,
  ].map((t) => {
    const n = t.shape.reduce((x, y) => x * y, 1);
    const v = Float32Array.from({ length: n }, () => (r() / 2 ** 32 - 0.5) * 0.2);
    return { ...t, data: new Uint8Array(t.dtype === 'F16' ? f32ToF16Bits(v).buffer : v.buffer) };
  });
  await writeSafetensors(path, tensors);
}

test('chunked pipeline (tiny chunks, hashing workers) writes the same bytes and hashes as one big chunk', async () => {
  const dir = tmp();
  const [pa, pb, pc] = ['a', 'b', 'c'].map((x) => join(dir, `${x}.safetensors`)) as [string, string, string];
  const onlyA = [{ name: 'model.only_in_a', dtype: 'F16' as const, shape: [1001] }];
  await fp16Model(pa, 1, onlyA);
  await fp16Model(pb, 2);
  await fp16Model(pc, 3);
  for (const method of ['weighted-sum', 'add-difference'] as const) {
    const outs: string[] = [];
    for (const tuning of [
      { chunkBytes: 1 << 20, slots: 6, hashThreadsFrom: Infinity, simd: false },
      { chunkBytes: 48, slots: 3, hashThreadsFrom: 0, simd: true },
      { chunkBytes: 1000, slots: 4, hashThreadsFrom: 0, simd: true },
    ]) {
      const out = join(dir, `o-${method}-${outs.length}.safetensors`);
      const done: number[] = [];
      const res = await mergeCheckpoints({
        primary: pa, secondary: pb, tertiary: method === 'add-difference' ? pc : undefined, method, multiplier: 0.3, out, hashCache: false, tuning,
        onProgress: (p) => p.stage === 'merging' && done.push(p.done),
      });
      assert.ok(done.every((d, i) => i === 0 || d > done[i - 1]!), 'progress only grows');
      assert.equal(done.at(-1), res.bytes);
      assert.equal(res.sha256, await sha256Full(out, { cache: false }), 'hash computed while writing = hash of the file');
      outs.push(out);
    }
    const first = readFileSync(outs[0]!);
    for (const o of outs.slice(1)) assert.ok(first.equals(readFileSync(o)), `${o} differs from ${outs[0]}`);
  }
  assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp')));
});

test('a truncated input fails the chunked merge with the file named and leaves no output', async () => {
  const dir = tmp();
  const [pa, pb] = [join(dir, 'a.safetensors'), join(dir, 'b.safetensors')];
  await fp16Model(pa, 1);
  await fp16Model(pb, 2);
  truncateSync(pb, statSync(pb).size - 40); // refused when opened (spans past the end), before any output
  const out = join(dir, 'o.safetensors');
  await assert.rejects(mergeCheckpoints({ primary: pa, secondary: pb, method: 'weighted-sum', multiplier: 0.5, out, hashCache: false }), /b\.safetensors/);
  assert.deepEqual(readdirSync(dir).sort(), ['a.safetensors', 'b.safetensors']);
});
