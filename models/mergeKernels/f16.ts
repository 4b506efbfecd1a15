// fp16 ⊕ fp16 → fp16 merge kernels: the scalar JavaScript reference and a WebAssembly SIMD version assembled here,
// byte by byte (no toolchain, no dependency). Both compute exactly what the reference formula does:
//   decode each half to f32 (exact) → combine in f64 (JS number semantics: m0·a + m·b, or a + m·(b − c)) →
//   round once to f32 → round to the nearest even half (overflow → ±inf, NaN → quiet NaN).
// so the output is bit-identical to f32ToF16Bits(Float32Array.from(formula)) for every input bit pattern,
// subnormals, infinities and NaNs included (NaN payloads are not kept: every NaN becomes 0x7e00 with its sign).

import { f16BitsToF32 } from '../graph/float16';

export type F16Op = 'weighted-sum' | 'add-difference';

// ---------------------------------------------------------------------------------------------------------
// Scalar reference (also the fallback where WebAssembly SIMD is unavailable, and the < 8-element tails).

const BLOCK = 16384;
/** Every half's float value (a constant, built at load). */
const HALF_VALUES = f16BitsToF32(Uint16Array.from({ length: 65536 }, (_, i) => i));

/**
 * out[i] = half(m0·a[i] + m·b[i]) (weighted sum, m0 = 1 − m) or half(a[i] + m·(b[i] − c[i])) (add difference);
 * with `c` null for add difference, out[i] = half(a[i]) (re-rounded: NaNs become quiet). Decode by table, combine
 * over cache-sized blocks, round with branch-light bit arithmetic (F. Giesen's float_to_half_fast3_rtne).
 */
export function f16MergeScalar(op: F16Op, m: number, a: Uint16Array, b: Uint16Array | null, c: Uint16Array | null, out: Uint16Array): void {
  const T = HALF_VALUES;
  const m0 = 1 - m;
  const len = out.length;
  // Per-call scratch: a block of f32 sums and one float for the subnormal rounding, seen through their bits.
  const tmp = new Float32Array(Math.min(BLOCK, len));
  const tmpBits = new Uint32Array(tmp.buffer);
  const scratch = new Float32Array(1);
  const scratchBits = new Uint32Array(scratch.buffer);
  for (let s = 0; s < len; s += BLOCK) {
    const n = Math.min(BLOCK, len - s);
    if (op === 'weighted-sum') for (let j = 0; j < n; j++) tmp[j] = m0 * T[a[s + j]!]! + m * T[b![s + j]!]!;
    else if (c) for (let j = 0; j < n; j++) tmp[j] = T[a[s + j]!]! + m * (T[b![s + j]!]! - T[c[s + j]!]!);
    else for (let j = 0; j < n; j++) tmp[j] = T[a[s + j]!]!;
    for (let j = 0; j < n; j++) {
      let x = tmpBits[j]!;
      const sign = (x >>> 16) & 0x8000;
      x &= 0x7fffffff;
      let h: number;
      if (x < 0x38800000) {
        // Zero or subnormal half: adding 0.5 lines the 10 mantissa bits up at the bottom (exact rounding: the f64
        // sum of two f32 values rounded once to f32 is the correctly rounded f32 sum).
        scratch[0] = Math.abs(tmp[j]!) + 0.5;
        h = scratchBits[0]! - 0x3f000000;
      } else if (x >= 0x47800000) {
        h = x > 0x7f800000 ? 0x7e00 : 0x7c00;
      } else {
        h = (x - 0x37fff001 + ((x >>> 13) & 1)) >>> 13; // rebias exponent, + 0xfff + odd bit: ties to even
      }
      out[s + j] = h | sign;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// WebAssembly SIMD. The module imports one memory ("env" "mem", shared so a hashing worker can read the output
// in place) and exports ws(a, b, o, groups, m0, m) and ad(a, b, c, o, groups, m): byte offsets, 8 halves a group.

/** The bit of the WebAssembly JS API used here (the project's TypeScript lib has no DOM/WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const uleb = (v: number): number[] => {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};
const sleb = (v: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};
const str = (s: string) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;
// Core opcodes.
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, I32_CONST = 0x41, I32_ADD = 0x6a, I32_SUB = 0x6b, I32_EQZ = 0x45;
const BLOCK_OP = 0x02, LOOP = 0x03, IF = 0x04, ELSE = 0x05, BR_IF = 0x0d, END = 0x0b, VOID = 0x40;
// SIMD opcodes (prefix 0xfd, then a LEB128 sub-opcode).
const S = {
  load: 0x00, store: 0x0b, const: 0x0c, shuffle: 0x0d, f64x2_splat: 0x14,
  and: 0x4e, or: 0x50, xor: 0x51, bitselect: 0x52, any_true: 0x53, i16x8_eq: 0x2d,
  i32x4_lt_s: 0x39, i32x4_gt_s: 0x3b, i32x4_ge_s: 0x3f, i32x4_ge_u: 0x40,
  f32x4_demote_f64x2_zero: 0x5e, f64x2_promote_low_f32x4: 0x5f,
  i16x8_narrow_i32x4_u: 0x86, i32x4_extend_low_i16x8_u: 0xa9, i32x4_extend_high_i16x8_u: 0xaa,
  i32x4_shl: 0xab, i32x4_shr_u: 0xad, i32x4_add: 0xae, i32x4_sub: 0xb1,
  f32x4_add: 0xe4, f32x4_mul: 0xe6, f64x2_add: 0xf0, f64x2_sub: 0xf1, f64x2_mul: 0xf2,
} as const;
const simd = (op: number) => [0xfd, ...uleb(op)];
const get = (i: number) => [LOCAL_GET, ...uleb(i)];
const set = (i: number) => [LOCAL_SET, ...uleb(i)];
const i32c = (v: number) => [I32_CONST, ...sleb(v | 0)];
/** v128.const with the same 32-bit value in every lane. */
const splat32 = (v: number) => {
  const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  return [...simd(S.const), ...b, ...b, ...b, ...b];
};
const shuffle = (lanes: number[]) => [...simd(S.shuffle), ...lanes];
const memarg = [0, 0]; // align hint 1, offset 0
const HI_TO_LO = shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
const LO_LO = shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);


/** Scratch v128 locals (indices are assigned after each function's params). */
interface Locals { t: number; em: number; s: number; x: number; sign: number; ab: number; r: number }

/** i32x4 of zero-extended half bits on the stack → f32x4 of their exact values (any half, inf and NaN included). */
function decode(L: Locals): number[] {
  return [
    ...set(L.t),
    ...get(L.t), ...splat32(0x7fff), ...simd(S.and), ...set(L.em),
    ...get(L.em), ...i32c(13), ...simd(S.i32x4_shl), ...set(L.s),
    ...get(L.s), ...splat32(0x7f800000), ...simd(S.or), // inf / NaN: all-ones exponent, mantissa kept
    ...get(L.s), ...splat32(0x77800000), ...simd(S.f32x4_mul), // finite: (em << 13) · 2^112, exact for subnormals too
    ...get(L.em), ...splat32(0x7c00), ...simd(S.i32x4_ge_s),
    ...simd(S.bitselect),
    ...get(L.t), ...splat32(0x8000), ...simd(S.and), ...i32c(16), ...simd(S.i32x4_shl),
    ...simd(S.or),
  ];
}

/**
 * i32x4 of sign-extended half bits on the stack → f32x4, for finite halves only: shifting the sign-extended value
 * left by 13 puts the sign at bit 31 and the exponent and mantissa at 13..27; masking drops the extension bits.
 */
const decodeFinite = (): number[] => [...i32c(13), ...simd(S.i32x4_shl), ...splat32(0x8fffe000), ...simd(S.and), ...splat32(0x77800000), ...simd(S.f32x4_mul)];

/** f32x4 on the stack → i32x4 of half bits, round to nearest even (float_to_half_fast3_rtne). */
function encode(L: Locals): number[] {
  return [
    ...set(L.x),
    ...get(L.x), ...splat32(0x80000000), ...simd(S.and), ...set(L.sign),
    ...get(L.x), ...get(L.sign), ...simd(S.xor), ...set(L.ab),
    // Subnormal or zero half: |x| + 0.5 in f32, minus the bits of 0.5.
    ...get(L.ab), ...splat32(0x3f000000), ...simd(S.f32x4_add), ...splat32(0x3f000000), ...simd(S.i32x4_sub),
    // Normal half: rebias the exponent, + 0xfff + the odd bit, >> 13.
    ...get(L.ab), ...splat32(0xc8000fff), ...simd(S.i32x4_add),
    ...get(L.ab), ...i32c(13), ...simd(S.i32x4_shr_u), ...splat32(1), ...simd(S.and), ...simd(S.i32x4_add),
    ...i32c(13), ...simd(S.i32x4_shr_u),
    ...get(L.ab), ...splat32(0x38800000), ...simd(S.i32x4_lt_s),
    ...simd(S.bitselect), ...set(L.r),
    // Overflow → inf, NaN → quiet NaN.
    ...splat32(0x7e00), ...splat32(0x7c00), ...get(L.ab), ...splat32(0x7f800000), ...simd(S.i32x4_gt_s), ...simd(S.bitselect),
    ...get(L.r), ...get(L.ab), ...splat32(0x47800000), ...simd(S.i32x4_ge_s),
    ...simd(S.bitselect),
    ...get(L.sign), ...i32c(16), ...simd(S.i32x4_shr_u), ...simd(S.or),
  ];
}

/**
 * One function body. `srcs` are the i32 params holding source pointers, `o` the output pointer, `n` the group
 * count; `combine(ops)` receives one promoted f64x2 operand expression per source and emits the formula.
 * Each group of 8 halves takes a fast path (finite inputs; results all normal halves) or the general one.
 */
function kernelBody(nParams: number, srcs: number[], o: number, n: number, prologue: number[], combine: (ops: number[][]) => number[]): number[] {
  // Locals after params: splats (2 × v128, set in the prologue), per-source raw + decoded, scratch.
  let next = nParams + 2;
  const raw = srcs.map(() => next++);
  const dec = srcs.map(() => next++);
  const L: Locals = { t: next++, em: next++, s: next++, x: next++, sign: next++, ab: next++, r: next++ };
  const res = [next++, next++]; // f32x4 results, low and high 4 lanes
  const h = [next++, next++]; // their half bits
  const nV128 = next - nParams;

  /** Decoded sources (in dec[]) → combined in f64 → rounded to f32x4 on the stack. */
  const formula = (): number[] => {
    const lanes01 = dec.map((d) => [...get(d), ...simd(S.f64x2_promote_low_f32x4)]);
    const lanes23 = dec.map((d) => [...get(d), ...get(d), ...HI_TO_LO, ...simd(S.f64x2_promote_low_f32x4)]);
    return [...combine(lanes01), ...simd(S.f32x4_demote_f64x2_zero), ...combine(lanes23), ...simd(S.f32x4_demote_f64x2_zero), ...LO_LO];
  };
  const extendLo = [S.i32x4_extend_low_i16x8_u, S.i32x4_extend_high_i16x8_u];
  const extendS = [0xa7, 0xa8]; // i32x4.extend_low/high_i16x8_s
  const general: number[] = [];
  const finite: number[] = [];
  for (let half = 0; half < 2; half++) {
    srcs.forEach((_, k) => general.push(...get(raw[k]!), ...simd(extendLo[half]!), ...decode(L), ...set(dec[k]!)));
    general.push(...formula(), ...set(res[half]!));
    srcs.forEach((_, k) => finite.push(...get(raw[k]!), ...simd(extendS[half]!), ...decodeFinite(), ...set(dec[k]!)));
    finite.push(...formula(), ...set(res[half]!));
  }
  // Any inf/NaN among the sources' halves? (exponent bits all ones, per 16-bit lane)
  const special: number[] = [];
  srcs.forEach((_, k) => {
    special.push(...get(raw[k]!), ...splat32(0x7c007c00), ...simd(S.and), ...splat32(0x7c007c00), ...simd(S.i16x8_eq));
    if (k) special.push(...simd(S.or));
  });
  special.push(...simd(S.any_true));
  // Any result outside the normal-half range? (|x| − 2^-14 as unsigned ≥ 65520 − 2^-14 in bits)
  const abnormal: number[] = [];
  for (let half = 0; half < 2; half++) {
    abnormal.push(...get(res[half]!), ...splat32(0x7fffffff), ...simd(S.and), ...splat32(0x38800000), ...simd(S.i32x4_sub), ...splat32(0x0f000000), ...simd(S.i32x4_ge_u));
  }
  abnormal.push(...simd(S.or), ...simd(S.any_true));
  const encodeAll: number[] = [];
  const encodeFast: number[] = [];
  for (let half = 0; half < 2; half++) {
    encodeAll.push(...get(res[half]!), ...encode(L), ...set(h[half]!));
    const x = res[half]!;
    encodeFast.push(
      ...get(x), ...splat32(0x7fffffff), ...simd(S.and), ...set(L.ab),
      ...get(L.ab), ...splat32(0xc8000fff), ...simd(S.i32x4_add),
      ...get(L.ab), ...i32c(13), ...simd(S.i32x4_shr_u), ...splat32(1), ...simd(S.and), ...simd(S.i32x4_add),
      ...i32c(13), ...simd(S.i32x4_shr_u),
      ...get(x), ...i32c(16), ...simd(S.i32x4_shr_u), ...splat32(0x8000), ...simd(S.and), ...simd(S.or),
      ...set(h[half]!),
    );
  }

  const loopBody: number[] = [];
  srcs.forEach((p, k) => loopBody.push(...get(p), ...simd(S.load), ...memarg, ...set(raw[k]!)));
  loopBody.push(...special, IF, VOID, ...general, ELSE, ...finite, END);
  loopBody.push(...abnormal, IF, VOID, ...encodeAll, ELSE, ...encodeFast, END);
  loopBody.push(...get(o), ...get(h[0]!), ...get(h[1]!), ...simd(S.i16x8_narrow_i32x4_u), ...simd(S.store), ...memarg);
  for (const p of [...srcs, o]) loopBody.push(...get(p), ...i32c(16), I32_ADD, ...set(p));
  loopBody.push(...get(n), ...i32c(1), I32_SUB, ...set(n), ...get(n), BR_IF, 0);
  const body = [...prologue, BLOCK_OP, VOID, ...get(n), I32_EQZ, BR_IF, 0, LOOP, VOID, ...loopBody, END, END];
  const code = [...vec([[...uleb(nV128), V128]]), ...body, END];
  return [...uleb(code.length), ...code];
}

function moduleBytes(): Uint8Array {
  // ws(a, b, o, n, m0, m): params 0..5, splat locals 6 (m0) and 7 (m).
  const ws = kernelBody(6, [0, 1], 2, 3, [...get(4), ...simd(S.f64x2_splat), ...set(6), ...get(5), ...simd(S.f64x2_splat), ...set(7)],
    ([a, b]) => [...get(6), ...a!, ...simd(S.f64x2_mul), ...get(7), ...b!, ...simd(S.f64x2_mul), ...simd(S.f64x2_add)]);
  // ad(a, b, c, o, n, m): params 0..5, splat local 6 (m), 7 unused.
  const ad = kernelBody(6, [0, 1, 2], 3, 4, [...get(5), ...simd(S.f64x2_splat), ...set(6)],
    ([a, b, c]) => [...a!, ...get(6), ...b!, ...c!, ...simd(S.f64x2_sub), ...simd(S.f64x2_mul), ...simd(S.f64x2_add)]);
  const types = vec([
    [0x60, ...vec([[I32], [I32], [I32], [I32], [F64], [F64]]), ...vec([])],
    [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [F64]]), ...vec([])],
  ]);
  const imports = vec([[...str('env'), ...str('mem'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]]); // shared, max 4 GiB
  const funcs = vec([[0], [1]]);
  const exports = vec([[...str('ws'), 0x00, 0], [...str('ad'), 0x00, 1]]);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types), ...section(2, imports), ...section(3, funcs), ...section(7, exports), ...section(10, vec([ws, ad])),
  ]);
}

/** Merge kernels working on one shared memory; offsets are byte offsets into `bytes`. */
export interface F16Kernels {
  readonly simd: boolean;
  /** The memory every pointer refers to (a SharedArrayBuffer when SIMD is available). */
  readonly bytes: Uint8Array;
  /** `n` halves at byte offsets a, b (and c for add difference; c < 0: no C) into o (o may equal a). */
  run(op: F16Op, m: number, a: number, b: number, c: number, o: number, n: number): void;
}

/**
 * Kernels over a fresh memory of `byteLength` bytes (rounded up to 64 KiB pages). With `simd: false`, or where
 * WebAssembly SIMD or shared memory is missing, the scalar reference runs on a plain SharedArrayBuffer.
 */
export function createF16Kernels(byteLength: number, opts: { simd?: boolean } = {}): F16Kernels {
  const pages = Math.max(1, Math.ceil(byteLength / 65536));
  let inst: { ws: (...a: number[]) => void; ad: (...a: number[]) => void } | undefined;
  let buffer: ArrayBuffer | SharedArrayBuffer | undefined;
  if (opts.simd !== false && wasmApi) {
    try {
      const bytes = moduleBytes();
      const memory = new wasmApi.Memory({ initial: pages, maximum: pages, shared: true });
      const instance = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { mem: memory } });
      inst = instance.exports as typeof inst;
      buffer = memory.buffer;
    } catch {
      inst = undefined;
    }
  }
  buffer ??= new SharedArrayBuffer(pages * 65536);
  const bytes = new Uint8Array(buffer);
  const u16 = (off: number, n: number) => new Uint16Array(buffer!, off, n);
  return {
    simd: !!inst,
    bytes,
    run(op, m, a, b, c, o, n) {
      if ((a | b | o | (c < 0 ? 0 : c)) & 1) throw new Error('f16 kernels: offsets must be even');
      let done = 0;
      if (inst) {
        const groups = n >>> 3;
        if (groups) {
          if (op === 'weighted-sum') inst.ws(a, b, o, groups, 1 - m, m);
          else if (c >= 0) inst.ad(a, b, c, o, groups, m);
          else return f16MergeScalar(op, m, u16(a, n), null, null, u16(o, n));
          done = groups * 8;
        }
      }
      const rest = n - done;
      if (!rest) return;
      const at = (p: number) => u16(p + done * 2, rest);
      f16MergeScalar(op, m, at(a), op === 'weighted-sum' || c >= 0 ? at(b) : null, c >= 0 ? at(c) : null, at(o));
    },
  };
}
