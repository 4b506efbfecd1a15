// The one tensor record every weights reader returns (safetensors, torch zip, legacy torch), and the one way to
// read a record's values. A record only says where the bytes are, so opening a 7 GB checkpoint costs its header;
// values are read one tensor at a time, on demand, through a file handle.
import { open, type FileHandle } from 'node:fs/promises';
import { f16BitsToF32, f32ToF16Bits } from '../graph/float16';

/** Element types, named as safetensors names them. F16/BF16 values travel as raw bits in a Uint16Array. */
export type DType =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8'
  | 'U64' | 'U32' | 'U16' | 'U8'
  | 'BOOL' | 'F8_E4M3' | 'F8_E5M2';

export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};

export const isDType = (s: string): s is DType => Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
export const isFloat = (d: DType): boolean => d === 'F64' || d === 'F32' || d === 'F16' || d === 'BF16' || d === 'F8_E4M3' || d === 'F8_E5M2';

export type TypedArray =
  | Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array
  | BigUint64Array | Uint32Array | Uint8Array;

/**
 * Where one tensor's values live. `offset` is the byte position in `file` of element 0 of the tensor's storage;
 * the tensor starts `storageOffset` elements later and walks the storage with `strides` (in elements), as torch
 * views do. Safetensors records are contiguous with storageOffset 0.
 */
export interface TensorRecord {
  name: string;
  file: string;
  offset: number;
  dtype: DType;
  shape: number[];
  strides: number[];
  storageOffset: number;
  /** Bytes of the storage from `offset` (bounds every read). */
  storageBytes: number;
  /**
   * The storage's bytes held in memory (a deflate-compressed zip member, inflated once): `offset` is then
   * relative to this buffer instead of the file.
   */
  inline?: Uint8Array;
}

/** A weights file that cannot be read: the message always names the file and the problem. */
export class WeightsError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'WeightsError';
  }
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Contiguous bytes of the tensor once materialised. */
export const byteLength = (r: Pick<TensorRecord, 'shape' | 'dtype'>): number => numel(r.shape) * DTYPE_SIZE[r.dtype];

/** Element span [first, last] the view touches in its storage; null for an empty tensor. */
function span(r: TensorRecord): [number, number] | null {
  if (r.shape.some((d) => d === 0)) return null;
  let last = r.storageOffset;
  for (let i = 0; i < r.shape.length; i++) last += (r.shape[i]! - 1) * r.strides[i]!;
  return [r.storageOffset, last];
}

/** Throws when the record's view reaches outside its storage (readers call this once per record). */
export function checkRecord(r: TensorRecord): void {
  const bad = (why: string) => new WeightsError(r.file, `tensor '${r.name}': ${why}`);
  if (r.shape.length !== r.strides.length) throw bad(`shape ${fmt(r.shape)} and strides ${fmt(r.strides)} differ in rank`);
  for (const v of [...r.shape, ...r.strides, r.storageOffset]) {
    if (!Number.isSafeInteger(v) || v < 0) throw bad(`bad shape/stride/offset value ${v}`);
  }
  const s = span(r);
  if (s && (s[1] + 1) * DTYPE_SIZE[r.dtype] > r.storageBytes) {
    throw bad(`view ${fmt(r.shape)} at offset ${r.storageOffset} needs ${(s[1] + 1) * DTYPE_SIZE[r.dtype]} bytes, storage has ${r.storageBytes}`);
  }
}

const fmt = (a: readonly number[]): string => `[${a.join(', ')}]`;

function isContiguous(r: TensorRecord): boolean {
  const c = contiguousStrides(r.shape);
  return r.shape.every((d, i) => d === 1 || c[i] === r.strides[i]);
}

/**
 * Reads tensors, keeping one handle open per file so a merge of a thousand tensors opens each file once.
 * Call close() when done.
 */
export class TensorReader {
  private handles = new Map<string, Promise<FileHandle>>();

  private handle(file: string): Promise<FileHandle> {
    let h = this.handles.get(file);
    if (!h) {
      h = open(file, 'r');
      this.handles.set(file, h);
      h.catch(() => this.handles.delete(file));
    }
    return h;
  }

  /** The tensor's bytes, row-major and contiguous (strided views are gathered). */
  async bytes(r: TensorRecord): Promise<Uint8Array> {
    const size = DTYPE_SIZE[r.dtype];
    const s = span(r);
    if (!s) return new Uint8Array(0);
    const start = r.offset + s[0] * size;
    const length = (s[1] - s[0] + 1) * size;
    let raw: Uint8Array;
    if (r.inline) {
      if (start + length > r.inline.length) throw new WeightsError(r.file, `tensor '${r.name}' runs past its storage`);
      raw = r.inline.subarray(start, start + length);
    } else {
      raw = await readExactly(await this.handle(r.file), r.file, start, length);
    }
    if (isContiguous(r)) return raw;
    return gather(raw, r, size);
  }

  /** The tensor's values in its own dtype (`to` omitted) or converted to `to`. */
  async read(r: TensorRecord, to?: DType): Promise<TypedArray> {
    const raw = await this.bytes(r);
    return convert(view(raw, r.dtype), r.dtype, to ?? r.dtype);
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(all.map((p) => p.then((h) => h.close(), () => undefined)));
  }
}

/** One-shot read of a single tensor (opens and closes its file). */
export async function readTensor(r: TensorRecord, to?: DType): Promise<TypedArray> {
  const reader = new TensorReader();
  try {
    return await reader.read(r, to);
  } finally {
    await reader.close();
  }
}

const CHUNK = 64 << 20;

/** Reads `length` bytes at `position`; a short read means the file is truncated. */
export async function readExactly(fh: FileHandle, file: string, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, Math.min(CHUNK, length - done), position + done);
    if (bytesRead === 0) throw new WeightsError(file, `truncated: expected ${length} bytes at offset ${position}, file ends after ${done}`);
    done += bytesRead;
  }
  return out;
}

/** Copies the view's elements in row-major order out of the span read from the storage. */
function gather(raw: Uint8Array, r: TensorRecord, size: number): Uint8Array {
  const n = numel(r.shape);
  const out = new Uint8Array(n * size);
  // Copy in whole-element words; 8-byte elements as two 32-bit words so NaN payloads are never touched.
  const words = size === 8 ? 2 : 1;
  const W = size === 1 ? Uint8Array : size === 2 ? Uint16Array : Uint32Array;
  const per = W.BYTES_PER_ELEMENT;
  const src = new W(raw.buffer as ArrayBuffer, raw.byteOffset, raw.byteLength / per);
  const dst = new W(out.buffer as ArrayBuffer, 0, n * words);
  const rank = r.shape.length;
  const idx = new Array<number>(rank).fill(0);
  let pos = 0; // element index relative to span start
  for (let i = 0; i < n; i++) {
    for (let w = 0; w < words; w++) dst[i * words + w] = src[pos * words + w]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      pos += r.strides[d]!;
      if (idx[d]! < r.shape[d]!) break;
      pos -= idx[d]! * r.strides[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** A typed view of raw little-endian bytes in the dtype's natural array type (no copy). */
export function view(raw: Uint8Array, dtype: DType): TypedArray {
  const { buffer: b, byteOffset: o, byteLength: l } = raw;
  const n = l / DTYPE_SIZE[dtype];
  switch (dtype) {
    case 'F64': return new Float64Array(b, o, n);
    case 'F32': return new Float32Array(b, o, n);
    case 'F16': case 'BF16': case 'U16': return new Uint16Array(b, o, n);
    case 'I64': return new BigInt64Array(b, o, n);
    case 'U64': return new BigUint64Array(b, o, n);
    case 'I32': return new Int32Array(b, o, n);
    case 'U32': return new Uint32Array(b, o, n);
    case 'I16': return new Int16Array(b, o, n);
    case 'I8': return new Int8Array(b, o, n);
    case 'U8': case 'BOOL': case 'F8_E4M3': case 'F8_E5M2': return new Uint8Array(b, o, n);
  }
}

/** Raw bytes of a typed array (no copy). */
export const asBytes = (a: TypedArray): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Converts values between dtypes: anything → F32/F64, float → F16/BF16, and identity. */
export function convert(data: TypedArray, from: DType, to: DType): TypedArray {
  if (from === to) return data;
  if (to === 'F32') return toF32(data, from);
  if (to === 'F64') return Float64Array.from(toF32(data, from));
  if (to === 'F16') return f32ToF16Bits(toF32(data, from) as Float32Array);
  if (to === 'BF16') return f32ToBf16(toF32(data, from) as Float32Array);
  throw new RangeError(`cannot convert ${from} to ${to}`);
}

function toF32(data: TypedArray, from: DType): Float32Array {
  switch (from) {
    case 'F32': return data as Float32Array;
    case 'F16': return f16BitsToF32(data as Uint16Array);
    case 'BF16': {
      const out = new Float32Array(data.length);
      const bits = new Uint32Array(out.buffer);
      const src = data as Uint16Array;
      for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
      return out;
    }
    case 'F8_E4M3': return lookup(data as Uint8Array, E4M3);
    case 'F8_E5M2': return lookup(data as Uint8Array, E5M2);
    case 'I64': case 'U64': {
      const out = new Float32Array(data.length);
      const src = data as BigInt64Array;
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
      return out;
    }
    default: return Float32Array.from(data as Float64Array);
  }
}

/** float32 → bfloat16 bits, round to nearest even; NaN stays NaN. */
export function f32ToBf16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    out[i] = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

function lookup(src: Uint8Array, t: Float32Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]!]!;
  return out;
}

/** Value of every 8-bit float code. `fn`: E4M3FN has no inf, only S.1111.111 is NaN. */
function f8Table(eBits: number, mBits: number, bias: number, fn: boolean): Float32Array {
  const t = new Float32Array(256);
  const eMax = (1 << eBits) - 1;
  for (let c = 0; c < 256; c++) {
    const sign = c & 0x80 ? -1 : 1;
    const e = (c >> mBits) & eMax;
    const m = c & ((1 << mBits) - 1);
    let v: number;
    if (fn && e === eMax && m === (1 << mBits) - 1) v = NaN;
    else if (!fn && e === eMax) v = m ? NaN : Infinity;
    else if (e === 0) v = (m / (1 << mBits)) * 2 ** (1 - bias);
    else v = (1 + m / (1 << mBits)) * 2 ** (e - bias);
    t[c] = sign * v;
  }
  return t;
}

/** The value of every code of the two 8-bit float formats (constants, built at load). */
const E4M3 = f8Table(4, 3, 7, true);
const E5M2 = f8Table(5, 2, 15, false);
