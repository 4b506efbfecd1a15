// A1111's "NV" source (modules/rng_philox.py), a port of CUDA torch.randn: Philox-4×32-10 keyed by the 64-bit
// seed, counter [offset, 0, index, 0] with `offset` bumped once per randn call, Box–Muller (sin branch) on the
// first two outputs. The "GPU" source uses the same generator (what A1111 NV emulates).

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_POW32_INV = Math.fround(2.3283064e-10);
const TWO_POW32_INV_2PI = Math.fround(2.3283064e-10 * 6.2831855);

/** High 32 bits of the 64-bit product of two uint32. */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff, aHi = a >>> 16, bLo = b & 0xffff, bHi = b >>> 16;
  const lolo = aLo * bLo;
  const mid1 = aHi * bLo;
  const mid2 = aLo * bHi;
  const carry = ((lolo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (aHi * bHi + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
}

export class PhiloxGenerator {
  private offset = 0;
  private readonly k0: number;
  private readonly k1: number;

  constructor(seed: number | bigint) {
    const s = BigInt.asUintN(64, BigInt(seed));
    this.k0 = Number(s & 0xffffffffn);
    this.k1 = Number(s >> 32n);
  }

  randn(shape: number[]): Float32Array {
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    const offset = this.offset++ >>> 0;
    for (let i = 0; i < n; i++) {
      let c0 = offset, c1 = 0, c2 = i >>> 0, c3 = 0;
      let k0 = this.k0, k1 = this.k1;
      for (let r = 0; r < 10; r++) {
        const hi0 = mulhi(c0, M0), lo0 = Math.imul(c0, M0) >>> 0;
        const hi1 = mulhi(c2, M1), lo1 = Math.imul(c2, M1) >>> 0;
        c0 = (hi1 ^ c1 ^ k0) >>> 0;
        c1 = lo1;
        c2 = (hi0 ^ c3 ^ k1) >>> 0;
        c3 = lo0;
        if (r < 9) { k0 = (k0 + W0) >>> 0; k1 = (k1 + W1) >>> 0; }
      }
      const u = c0 * TWO_POW32_INV + TWO_POW32_INV / 2;
      const v = c1 * TWO_POW32_INV_2PI + TWO_POW32_INV_2PI / 2;
      out[i] = Math.sqrt(-2 * Math.log(u)) * Math.sin(v);
    }
    return out;
  }
}
