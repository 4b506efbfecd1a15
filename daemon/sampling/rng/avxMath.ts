// The float32 log and sincos torch's CPU randn uses on x86 (ATen/native/cpu/avx_mathfun.h: log256_ps,
// sincos256_ps — Pommier/Garberoglio's cephes polynomials), one lane at a time, bit for bit. torch's AVX2
// kernels are compiled with FMA and GCC's default contraction, so each multiply whose single use is an add
// became one fused multiply-add; `fmaf` marks exactly those (checked against torch's own output, see
// test/fixtures/reference/torch_randn_cpu.py). Plain double arithmetic throughout: every step is exact or
// rounded once with Math.fround.
const f = Math.fround;
/** The smallest normal float32 (2^-126): log256_ps cuts denormals off there. */
const MIN_NORM = 2 ** -126;

/** E with 2^E ≤ |x| < 2^(E+1), for a finite x ≠ 0 (log2 corrected where it rounds across a power of two). */
function exponentOf(x: number): number {
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/**
 * a·b + c rounded once to float32 (a, b, c float32). a·b is exact in double and TwoSum gives p + c exactly as
 * s + err; s rounds to the same float32 as the exact sum unless s lies exactly halfway between two float32s,
 * where the sign of err decides.
 */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bp = s - c;
  const err = p - bp + (c - (s - bp));
  const r = f(s);
  // (Below 2^-126 float32 spacing is fixed; randn's polynomials never get there.)
  if (err === 0 || r === s || !Number.isFinite(s) || Math.abs(r) < MIN_NORM) return r;
  // A halfway s mirrors r onto the other neighbour; anything else mirrors to no float32 (cheap test first).
  const mirror = 2 * s - r;
  if (f(mirror) !== mirror) return r;
  const up = s > r ? 1 : -1;
  const e = exponentOf(r);
  // The float32 neighbour of r on s's side (its spacing halves below a power of two).
  const towardZero = Math.sign(r) !== up;
  const ulp = 2 ** (e - (towardZero && Math.abs(r) === 2 ** e ? 24 : 23));
  const n = r + up * ulp;
  if (s !== (r + n) / 2) return r;
  return Math.sign(err) === up ? n : r;
}

const SQRTHF = f(0.707106781186547524);
const LOG_P = [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(f);
const LOG_Q1 = f(-2.1219444e-4);
const LOG_Q2 = f(0.693359375);

/** log256_ps for x > 0 (randn's 1 − u is in (0, 1]); NaN otherwise. */
export function log256(x: number): number {
  if (!(x > 0)) return NaN;
  x = Math.max(x, MIN_NORM);
  // The exponent bits minus the bias, + 1, and the mantissa with exponent -1: x = m · 2^e, m in [0.5, 1).
  let e = exponentOf(x) + 1;
  x = x / 2 ** e;
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
