// The plain data a restricted unpickle produces: Python tuples, dicts, allowed globals (as symbols), instances of
// allowed classes, and torch storages/tensors as descriptions. Nothing here can run code.
import type { DType } from './tensorRecord';

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export type PyKey = string | number | bigint | boolean | null;
export class PyDict {
  readonly map = new Map<PyKey, PyValue>();
}
/** An allowed global, as a symbol (never resolved to code). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}
/** An instance of an allowed class (ModelCheckpoint, numpy dtype, ...): its class, args and BUILD state. */
export class PyObject {
  constructor(
    readonly cls: PyGlobal,
    readonly args: PyValue[],
    public state: PyValue = null,
  ) {}
}
/** A torch storage named by a persistent id; where its bytes are is up to the archive reader. */
export class TorchStorage {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
    readonly location: string,
    /** Legacy-format storage views: [root key, element offset, numel]. */
    readonly viewOf?: { key: string; offset: number },
  ) {}
}
/** What `torch._utils._rebuild_tensor_v2` would build, as a description: a view into a storage. */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly strides: number[],
  ) {}
}

export type PyValue =
  | null | boolean | number | bigint | string | Uint8Array | PyValue[]
  | PyTuple | PyDict | PyGlobal | PyObject | TorchStorage | TorchTensor;

/**
 * How deep any walk over unpickled values goes (the tree walk that finds tensors, reprs, tuple keys). Real
 * checkpoints nest a handful of levels; a crafted one can nest a million, which a recursive walk would turn into
 * an anonymous "Maximum call stack size exceeded".
 */
export const MAX_NESTING = 1000;

/** Python-ish repr of a non-tensor leaf, for listings and tests (`470000`, `'abc'`, `None`). */
export function pyRepr(v: PyValue, depth = 0): string {
  if (depth > MAX_NESTING) return '…';
  const r = (x: PyValue): string => pyRepr(x, depth + 1);
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : reprFloat(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return `'${v}'`;
  if (v instanceof Uint8Array) return `b<${v.length} bytes>`;
  if (Array.isArray(v)) return `[${v.map(r).join(', ')}]`;
  if (v instanceof PyTuple) return `(${v.items.map(r).join(', ')}${v.items.length === 1 ? ',' : ''})`;
  if (v instanceof PyDict) return `{${[...v.map].map(([k, x]) => `${r(k)}: ${r(x)}`).join(', ')}}`;
  if (v instanceof PyGlobal) return v.qualname;
  if (v instanceof PyObject) return `<${v.cls.qualname}>`;
  if (v instanceof TorchStorage) return `<storage ${v.key}>`;
  return `tensor(${v.shape.join('×')})`;
}
const reprFloat = (v: number): string => (Number.isFinite(v) ? (Number.isInteger(v) ? `${v}.0` : String(v)) : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');

/** A dict key as a Map key: scalars as they are, tuples as `(a, b)` (depth-limited), anything else by String(). */
export function dictKey(k: PyValue, depth = 0): PyKey {
  if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return k;
  if (!(k instanceof PyTuple)) return String(k);
  if (depth > MAX_NESTING) return '(…)';
  return `(${k.items.map((x) => String(dictKey(x, depth + 1))).join(', ')})`;
}
