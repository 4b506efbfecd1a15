// fp16 conversion: bit-exact on edge cases, round-to-nearest-even, and exhaustive round trip over all halves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { f16BitsToF32, f32ToF16Bits } from '../../../models/graph';

const h = (x: number): number => f32ToF16Bits(Float32Array.of(x))[0]!;
const fromBits = (bits: number): number => new Float32Array(Uint32Array.of(bits).buffer)[0]!;

describe('float16', () => {
  it('converts edge cases bit-exactly', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff], // max half
      [65519.99, 0x7bff], // just under the rounding midpoint to inf
      [65520, 0x7c00], // midpoint rounds to even = inf
      [1e6, 0x7c00],
      [-Infinity, 0xfc00],
      [Infinity, 0x7c00],
      [2 ** -14, 0x0400], // min normal
      [2 ** -24, 0x0001], // min subnormal
      [2 ** -25, 0x0000], // half of min subnormal: tie → even (0)
      [2 ** -25 * 1.0000001, 0x0001], // just above the tie
      [3 * 2 ** -25, 0x0002], // tie between 1 and 2 → even (2)
      [2 ** -14 - 2 ** -25, 0x0400], // top subnormal tie rounds up into the min normal
      [1e-10, 0x0000],
      [-1e-10, 0x8000],
      [1 + 2 ** -11, 0x3c00], // tie → even (down)
      [1 + 3 * 2 ** -11, 0x3c02], // tie → even (up)
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // above tie
      [0.1, 0x2e66],
      [fromBits(0x00000001), 0x0000], // float32 subnormal
    ];
    for (const [x, bits] of cases) assert.equal(h(x), bits, `f32ToF16Bits(${x}) = 0x${h(x).toString(16)}, want 0x${bits.toString(16)}`);
    const nan = h(NaN);
    assert.equal(nan & 0x7c00, 0x7c00);
    assert.notEqual(nan & 0x3ff, 0);
  });

  it('f16 → f32 is exact for every half, and round-trips every non-NaN half', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const f = f16BitsToF32(all);
    assert.equal(f[0x3c00], 1);
    assert.equal(f[0x0001], 2 ** -24);
    assert.equal(f[0x03ff], 1023 * 2 ** -24);
    assert.equal(f[0x7bff], 65504);
    assert.equal(f[0xfc00], -Infinity);
    assert.ok(Number.isNaN(f[0x7e00]));
    assert.ok(Object.is(f[0x8000], -0));
    const back = f32ToF16Bits(f);
    for (let i = 0; i < 65536; i++) {
      if ((i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0) continue; // NaN payloads may differ
      if (back[i] !== i) assert.fail(`half 0x${i.toString(16)} → ${f[i]} → 0x${back[i]!.toString(16)}`);
    }
  });

  it('rounds to the nearest half on random floats, and writes into a given array', () => {
    const src = new Float32Array(10000);
    for (let i = 0; i < src.length; i++) src[i] = (Math.sin(i * 12.9898) * 43758.5453) % 70000;
    const out = new Uint16Array(src.length);
    assert.equal(f32ToF16Bits(src, out), out);
    const back = f16BitsToF32(out, new Float32Array(src.length));
    for (let i = 0; i < src.length; i++) {
      const x = src[i]!;
      if (Math.abs(x) > 65504) continue;
      // The result is the nearest half: no other half lies closer.
      const err = Math.abs(back[i]! - x);
      const ulp = Math.abs(x) < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 10);
      assert.ok(err <= ulp / 2, `${x} → ${back[i]}`);
    }
    assert.throws(() => f32ToF16Bits(src, new Uint16Array(3)), RangeError);
  });
});
