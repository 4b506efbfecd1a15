// IEEE 754 half-precision conversion for the fp16 model boundary. Both directions work on whole arrays with no
// per-element allocation: f32→f16 reads the float bits through one Uint32Array view and rounds to nearest even;
// f16→f32 is a single lookup in a 65,536-entry table built once at load (256 KiB, a constant).

/** Converts floats to half-precision bit patterns (round to nearest, ties to even; overflow → ±inf; NaN stays NaN). */
export function f32ToF16Bits(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  if (out.length < src.length) throw new RangeError(`f32ToF16Bits: output holds ${out.length}, need ${src.length}`);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    const sign = (x >>> 16) & 0x8000;
    const e = (x >>> 23) & 0xff;
    const m = x & 0x7fffff;
    let h: number;
    if (e === 0xff) {
      // Inf, or NaN kept quiet with the top payload bits.
      h = m === 0 ? 0x7c00 : 0x7e00 | (m >>> 13);
    } else if (e > 142) {
      h = 0x7c00; // beyond 65504 even before rounding
    } else if (e >= 113) {
      // Normal half: rebias the exponent, keep 10 mantissa bits, round on the 13 dropped ones. A carry out of the
      // mantissa correctly bumps the exponent (up to inf).
      h = ((e - 112) << 10) | (m >>> 13);
      const rest = m & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (h & 1) !== 0)) h++;
    } else if (e >= 102) {
      // Subnormal half: shift the full 24-bit significand down to units of 2^-24 and round.
      const sig = m | 0x800000;
      const shift = 126 - e; // 14..24
      h = sig >>> shift;
      const rest = sig & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rest > half || (rest === half && (h & 1) !== 0)) h++;
    } else {
      h = 0; // below half the smallest subnormal: rounds to zero
    }
    out[i] = sign | h;
  }
  return out;
}

/** float32 bit pattern of every half value, exact (every half is representable in float32). */
function buildTable(): Uint32Array {
  const t = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const e = (h >>> 10) & 0x1f;
    let m = h & 0x3ff;
    if (e === 0x1f) {
      t[h] = sign | 0x7f800000 | (m << 13);
    } else if (e !== 0) {
      t[h] = sign | ((e + 112) << 23) | (m << 13);
    } else if (m === 0) {
      t[h] = sign;
    } else {
      // Subnormal half → normal float: normalise the mantissa.
      let exp = 113;
      while ((m & 0x400) === 0) {
        m <<= 1;
        exp--;
      }
      t[h] = sign | (exp << 23) | ((m & 0x3ff) << 13);
    }
  }
  return t;
}

const F16_TO_F32_BITS = buildTable();

/** Converts half-precision bit patterns to floats (exact). */
export function f16BitsToF32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  if (out.length < src.length) throw new RangeError(`f16BitsToF32: output holds ${out.length}, need ${src.length}`);
  const t = F16_TO_F32_BITS;
  const dst = new Uint32Array(out.buffer, out.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) dst[i] = t[src[i]!]!; // the table has an entry for every 16-bit pattern
  return out;
}
