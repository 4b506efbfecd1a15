// Node attributes. ONNX checks attribute types strictly (LeakyRelu's alpha must be FLOAT, Conv's group INT), and
// a JS number cannot say which it is, so floats are spelled out: attr.float(0.2). Plain numbers and number arrays
// are integers; a plain non-integer throws rather than silently becoming the wrong type.
import { ElemType, type TensorData } from './dtypes';

/** A constant tensor: the payload by reference, its dims, and (optionally) the element type when the array kind is ambiguous. */
export interface TensorValue {
  data: TensorData;
  dims: readonly number[];
  elemType?: ElemType;
}

export type Attr =
  | { kind: 'int'; value: number | bigint }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string }
  | { kind: 'strings'; value: readonly string[] }
  | { kind: 'tensor'; value: TensorValue };

/** What node() accepts: an explicit Attr, or a plain integer / integer list / string. */
export type AttrValue = Attr | number | bigint | readonly number[] | string;
export type Attrs = Record<string, AttrValue | undefined>;

export const attr = {
  int: (value: number | bigint): Attr => ({ kind: 'int', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  floats: (value: readonly number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  strings: (value: readonly string[]): Attr => ({ kind: 'strings', value }),
  tensor: (value: TensorValue): Attr => ({ kind: 'tensor', value }),
};

/** Normalises a plain value to an Attr, naming the attribute when it cannot. */
export function toAttr(name: string, v: AttrValue): Attr {
  if (typeof v === 'string') return attr.string(v);
  if (typeof v === 'bigint') return attr.int(v);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TypeError(`attribute ${name}=${v} is not an integer; use attr.float(${v})`);
    return attr.int(v);
  }
  if (Array.isArray(v)) {
    const list = v as readonly number[];
    if (list.some((x) => !Number.isInteger(x))) {
      throw new TypeError(`attribute ${name}=[${list.join(',')}] is not all integers; use attr.floats([...])`);
    }
    return attr.ints(list);
  }
  return v as Attr;
}
