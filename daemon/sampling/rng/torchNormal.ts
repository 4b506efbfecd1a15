// torch.randn on the CPU generator (torch 1.13 / 2.x, ATen/native/cpu/DistributionTemplates.h):
// - numel >= 16 (float32, contiguous): fill with float uniforms (24-bit), Box–Muller in blocks of 16
//   (cos for the first 8, sin for the last 8); a ragged tail recomputes the LAST 16 values from fresh uniforms.
//   This is the AVX2 path x86-64 builds take (normal_fill_16_AVX2): float maths, theta = float(2π)·u2, and
//   log/sin/cos from avx_mathfun.h's polynomials (avxMath.ts), not libm.
// - numel < 16: one double-precision normal per element (53-bit uniforms from two 32-bit draws,
//   r·cos θ returned, r·sin θ cached in the generator for the next scalar draw).
import { log256, sincos256 } from './avxMath';
import { MT19937 } from './mt19937';

const f32 = Math.fround;
const TWO_PI_F = f32(2 * Math.PI);

export class TorchCpuGenerator {
  private mt: MT19937;
  private nextDoubleNormal: number | null = null;
  /** sincos256's two results (scratch, no allocation per element). */
  private readonly sinCos = new Float32Array(2);

  constructor(seed: number | bigint) {
    this.mt = new MT19937(Number(BigInt.asUintN(32, BigInt(seed))));
  }

  private uniformFloat(): number {
    return (this.mt.next() & 0xffffff) * 2 ** -24;
  }

  private uniformDouble(): number {
    const hi = this.mt.next();
    const lo = this.mt.next();
    return ((hi & 0x1fffff) * 2 ** 32 + lo) * 2 ** -53;
  }

  private normalDouble(): number {
    if (this.nextDoubleNormal !== null) {
      const v = this.nextDoubleNormal;
      this.nextDoubleNormal = null;
      return v;
    }
    const u1 = this.uniformDouble();
    const u2 = this.uniformDouble();
    const r = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.nextDoubleNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  randn(shape: number[]): Float32Array {
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    if (n < 16) {
      for (let i = 0; i < n; i++) out[i] = this.normalDouble();
      return out;
    }
    for (let i = 0; i < n; i++) out[i] = this.uniformFloat();
    for (let i = 0; i + 16 <= n; i += 16) fill16(out, i, this.sinCos);
    if (n % 16 !== 0) {
      for (let i = n - 16; i < n; i++) out[i] = this.uniformFloat();
      fill16(out, n - 16, this.sinCos);
    }
    return out;
  }
}

function fill16(d: Float32Array, o: number, sinCos: Float32Array): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f32(1 - d[o + j]!);
    const u2 = d[o + j + 8]!;
    const radius = f32(Math.sqrt(f32(-2 * log256(u1))));
    sincos256(f32(TWO_PI_F * u2), sinCos);
    d[o + j] = radius * sinCos[1]!;
    d[o + j + 8] = radius * sinCos[0]!;
  }
}
