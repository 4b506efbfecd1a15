// ONNX tensor element types and how typed arrays map onto them. Values match onnx.TensorProto.DataType so they
// can go on the wire unchanged.

export enum ElemType {
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  BFLOAT16 = 16,
}

/** A dimension: a fixed size, or a symbolic name such as "batch". */
export type Dim = number | string;

/**
 * Tensor payloads the builder accepts. FLOAT16 and BFLOAT16 data are raw bits in a Uint16Array (JS has no
 * half-float array in Node 20); BOOL data is a Uint8Array of 0/1.
 */
export type TensorData =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Uint8Array
  | Int8Array
  | Int16Array;

const SIZES: Partial<Record<ElemType, number>> = {
  [ElemType.FLOAT]: 4,
  [ElemType.UINT8]: 1,
  [ElemType.INT8]: 1,
  [ElemType.UINT16]: 2,
  [ElemType.INT16]: 2,
  [ElemType.INT32]: 4,
  [ElemType.INT64]: 8,
  [ElemType.BOOL]: 1,
  [ElemType.FLOAT16]: 2,
  [ElemType.DOUBLE]: 8,
  [ElemType.UINT32]: 4,
  [ElemType.UINT64]: 8,
  [ElemType.BFLOAT16]: 2,
};

/** Bytes per element; throws for STRING, which has no fixed size. */
export function elemSize(t: ElemType): number {
  const s = SIZES[t];
  if (s === undefined) throw new Error(`element type ${ElemType[t] ?? t} has no fixed size`);
  return s;
}

/** The element type a typed array stands for when the caller does not say (Uint16Array means FLOAT16). */
export function elemTypeOf(data: TensorData): ElemType {
  if (data instanceof Float32Array) return ElemType.FLOAT;
  if (data instanceof Uint16Array) return ElemType.FLOAT16;
  if (data instanceof Int32Array) return ElemType.INT32;
  if (data instanceof BigInt64Array) return ElemType.INT64;
  if (data instanceof Float64Array) return ElemType.DOUBLE;
  if (data instanceof Uint8Array) return ElemType.UINT8;
  if (data instanceof Int8Array) return ElemType.INT8;
  if (data instanceof Int16Array) return ElemType.INT16;
  if (data instanceof Uint32Array) return ElemType.UINT32;
  return ElemType.UINT64;
}

/** Short lower-case name for messages, e.g. "float16". */
export function elemTypeName(t: ElemType): string {
  return (ElemType[t] ?? `type${t}`).toLowerCase();
}

/** A view of the array's bytes, no copy (ONNX raw data is little-endian, as are the hosts Node runs on here). */
export function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function numElements(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
