// The float32 log and sincos torch's CPU randn uses on x86 (ATen/native/cpu/avx_mathfun.h: log256_ps,
// sincos256_ps — Pommier/Garberoglio's cephes polynomials), one lane at a time, bit for bit. torch's AVX2
// kernels are compiled with FMA and GCC's default contraction, so each multiply whose single use is an add
// became one fused multiply-add; `fmaf` marks exactly those (checked against torch's own output, see
// test/fixtures/reference/torch_randn_cpu.py).
const f = Math.fround;
// Scratch views for reinterpreting float bits; no value survives a call.
const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);
const F64 = new Float64Array(1);
const W64 = new Int32Array(F64.buffer); // little-endian words: [low, high]

const bitsOf = (x: number): number => {
  F32[0] = x;
  return I32[0]!;
};
const fromBits = (i: number): number => {
  I32[0] = i;
  return F32[0]!;
};

/**
 * a·b + c rounded once to float32 (a, b, c float32). a·b is exact in double; TwoSum gives p + c exactly as
 * s + e, and s rounded to odd (its last bit set when e ≠ 0) then rounds to float32 correctly (53 ≥ 24 + 2 bits).
 */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bp = s - c;
  const e = p - bp + (c - (s - bp));
  if (e === 0 || !Number.isFinite(s)) return f(s);
  F64[0] = s;
  const low = W64[0]!;
  if ((low & 1) === 0) {
    // One double ulp towards the exact value: up in magnitude sets the (zero) last bit; down borrows.
    if ((s > 0) === (e > 0)) W64[0] = low | 1;
    else if (low !== 0) W64[0] = low - 1;
    else {
      W64[0] = -1;
      W64[1] = W64[1]! - 1;
    }
  }
  return f(F64[0]!);
}

const SQRTHF = f(0.707106781186547524);
const LOG_P = [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(f);
const LOG_Q1 = f(-2.1219444e-4);
const LOG_Q2 = f(0.693359375);
const MIN_NORM = fromBits(0x00800000);
const HALF_BITS = bitsOf(0.5);

/** log256_ps for x > 0 (randn's 1 − u is in (0, 1]); NaN otherwise. */
export function log256(x: number): number {
  if (!(x > 0)) return NaN;
  x = Math.max(x, MIN_NORM);
  const exponent = bitsOf(x) >>> 23;
  x = fromBits((bitsOf(x) & ~0x7f800000) | HALF_BITS);
  let e = f(exponent - 0x7f + 1);
  const small = x < SQRTHF;
  const tmp = small ? x : 0;
  x = f(x - 1);
  if (small) e = f(e - 1);
  x = f(x + tmp);
  const z = f(x * x);
  let y = LOG_P[0]!;
  for (let k = 1; k < 9; k++) y = fmaf(y, x, LOG_P[k]!);
  y = f(y * x);
  y = fmaf(y, z, f(e * LOG_Q1));
  y = fmaf(-z, 0.5, y);
  return fmaf(e, LOG_Q2, f(x + y));
}

const DP1 = f(-0.78515625);
const DP2 = f(-2.4187564849853515625e-4);
const DP3 = f(-3.77489497744594108e-8);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);
const FOPI = f(1.27323954473516);

/** sincos256_ps for a float32 x (cephes range reduction by π/4 octants): sin into out[0], cos into out[1]. */
export function sincos256(x0: number, out: Float32Array): void {
  let x = Math.abs(x0);
  let j = Math.trunc(f(x * FOPI)) | 0;
  j = (j + 1) & ~1;
  const sinNegative = (x0 < 0) !== ((j & 4) !== 0);
  const cosNegative = (~(j - 2) & 4) !== 0;
  const sinFromSinPoly = (j & 2) === 0;
  x = fmaf(j, DP1, x);
  x = fmaf(j, DP2, x);
  x = fmaf(j, DP3, x);
  const z = f(x * x);
  let yc = fmaf(COS_P[0]!, z, COS_P[1]!);
  yc = fmaf(yc, z, COS_P[2]!);
  yc = f(yc * z);
  yc = f(fmaf(yc, z, -f(z * 0.5)) + 1);
  let ys = fmaf(SIN_P[0]!, z, SIN_P[1]!);
  ys = fmaf(ys, z, SIN_P[2]!);
  ys = fmaf(f(ys * z), x, x);
  const sin = sinFromSinPoly ? ys : yc;
  const cos = sinFromSinPoly ? yc : ys;
  out[0] = sinNegative ? -sin : sin;
  out[1] = cosNegative ? -cos : cos;
}
