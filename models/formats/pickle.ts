// A restricted unpickler for PyTorch checkpoints. It interprets pickle opcodes into plain data and NEVER calls
// anything: a GLOBAL is looked up in an allow-list (A1111's `modules/safe.py` list: tensor rebuilds, storage
// classes, OrderedDict, the numpy scalar/dtype reconstruction, ...) and anything else stops the load with an
// error naming the global (`posix.system`). Allowed globals are not run either: REDUCE of an allowed one builds
// the data it stands for (a tensor description, a dict, bytes); of any other value it is refused.
import { WeightsError, type DType } from './tensorRecord';

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

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};
const TORCH_DTYPES = ['float32', 'float16', 'bfloat16', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];

/** The allow-list, as `module.name`. Everything else is refused by name. */
const ALLOWED = new Set<string>([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state', 'torch._utils._rebuild_device_tensor_from_numpy',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
  ...TORCH_DTYPES.map((d) => `torch.${d}`),
  'torch.nn.modules.container.ParameterDict',
  'numpy.core.multiarray.scalar', 'numpy.core.multiarray._reconstruct', 'numpy._core.multiarray.scalar',
  'numpy._core.multiarray._reconstruct', 'numpy.dtype', 'numpy.ndarray',
  '_codecs.encode',
  'pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint',
  '__builtin__.set', 'builtins.set',
]);

export interface UnpickleOptions {
  /** Named in every error. */
  file: string;
  /** Resolves a persistent id (torch storages); absent → persistent ids are refused. */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Byte offset where the pickle starts (legacy files hold several in a row). */
  start?: number;
  /**
   * A TorchScript archive's data.pkl (OpenAI's ViT-L-14.pt): module objects are pickled as instances of their
   * compiled classes (`__torch__.clip.model.CLIP`, NEWOBJ + BUILD with an attribute dict) and typed lists through
   * `torch.jit._pickle.*`. Those class names are accepted as symbols (their code, in the archive's code/ folder,
   * is never looked at, let alone run); the list builders give back the list they were handed.
   */
  torchScript?: boolean;
}

/** Thrown when the buffer ends before STOP; the legacy reader reads more and retries. */
export class PickleTruncated extends WeightsError {}

/** Unpickles one pickle from `bytes`; returns its value and the offset just past its STOP. */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions): { value: PyValue; end: number } {
  const { file } = opts;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8');
  let pos = opts.start ?? 0;
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();

  const fail = (problem: string): never => {
    throw new WeightsError(file, `pickle: ${problem}`);
  };
  const need = (n: number): void => {
    if (pos + n > bytes.length) throw new PickleTruncated(file, `pickle: truncated at byte ${bytes.length} (needed ${n} more at ${pos})`);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const u8 = () => take(1)[0]!;
  const u16 = () => (need(2), (pos += 2), dv.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), dv.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), dv.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) fail(`length ${v} at byte ${pos - 8} exceeds the data`);
    return Number(v);
  };
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) throw new PickleTruncated(file, `pickle: truncated in a text line at byte ${pos}`);
    const s = latin1.decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  // Arguments are evaluated before `stack` is read here, so popMark() inside an argument is safe.
  const push = (v: PyValue): void => {
    stack.push(v);
  };
  const pop = (): PyValue => (stack.length ? stack.pop()! : fail(`stack underflow at byte ${pos}`));
  const top = (): PyValue => (stack.length ? stack[stack.length - 1]! : fail(`stack underflow at byte ${pos}`));
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) fail(`MARK missing at byte ${pos}`);
    stack = prev!;
    return items;
  };
  const findClass = (module: string, name: string): PyGlobal => {
    const q = `${module}.${name}`;
    if (opts.torchScript && (module === '__torch__' || module.startsWith('__torch__.') || module === 'torch.jit._pickle')) return new PyGlobal(module, name);
    if (!ALLOWED.has(q)) {
      fail(`global '${q}' is forbidden: it is not a weights type (a checkpoint never needs it; the file may be malicious). Nothing was executed.`);
    }
    return new PyGlobal(module, name);
  };
  const setItem = (d: PyValue, k: PyValue, v: PyValue): void => {
    const target = d instanceof PyObject && d.state instanceof PyDict ? d.state : d;
    if (!(target instanceof PyDict)) return fail(`SETITEM on a non-dict at byte ${pos}`);
    target.map.set(dictKey(k), v);
  };
  const append = (l: PyValue, v: PyValue): void => {
    if (!Array.isArray(l)) return fail(`APPEND on a non-list at byte ${pos}`);
    l.push(v);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: take(8); break; // FRAME: framing is only a read hint
      case 0x2e: { // STOP
        const value = pop();
        return { value, end: pos };
      }
      case 0x28: marks.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break;
      case 0x89: push(false); break;
      case 0x49: { // INT (text; "01"/"00" are bools)
        const s = line();
        push(s === '01' ? true : s === '00' ? false : pyInt(BigInt(s)));
        break;
      }
      case 0x4a: push(i32()); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x4c: push(pyInt(BigInt(line().replace(/L$/, '')))); break; // LONG
      case 0x8a: push(pyInt(leInt(take(u8())))); break; // LONG1
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail(`negative LONG4 length at byte ${at}`);
        push(pyInt(leInt(take(n))));
        break;
      }
      case 0x46: push(parseFloat(line())); break; // FLOAT
      case 0x47: need(8); push(dv.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x53: push(unquote(line())); break; // STRING
      case 0x54: push(latin1.decode(take(i32()))); break; // BINSTRING
      case 0x55: push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x56: push(line()); break; // UNICODE (raw-unicode-escape; ASCII in practice)
      case 0x58: push(utf8.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: push(utf8.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: push(utf8.decode(take(u64()))); break; // BINUNICODE8
      case 0x42: push(take(u32()).slice()); break; // BINBYTES
      case 0x43: push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: case 0x96: push(take(u64()).slice()); break; // BINBYTES8, BYTEARRAY8
      case 0x29: push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x74: push(new PyTuple(popMark())); break; // TUPLE
      case 0x85: push(new PyTuple([pop()])); break;
      case 0x86: { const b = pop(); push(new PyTuple([pop(), b])); break; }
      case 0x87: { const c = pop(); const b = pop(); push(new PyTuple([pop(), b, c])); break; }
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x6c: push(popMark()); break; // LIST
      case 0x61: { const v = pop(); append(top(), v); break; } // APPEND
      case 0x65: { const items = popMark(); for (const v of items) append(top(), v); break; } // APPENDS
      case 0x7d: push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        const d = new PyDict();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i]!, items[i + 1]!);
        push(d);
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); setItem(top(), k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) fail(`SETITEMS with an odd item count at byte ${at}`);
        for (let i = 0; i < items.length; i += 2) setItem(top(), items[i]!, items[i + 1]!);
        break;
      }
      case 0x8f: push([]); break; // EMPTY_SET (sets become lists)
      case 0x90: { const items = popMark(); for (const v of items) append(top(), v); break; } // ADDITEMS
      case 0x91: push(popMark()); break; // FROZENSET
      case 0x67: push(memoGet(memo, Number(line()), fail)); break; // GET
      case 0x68: push(memoGet(memo, u8(), fail)); break; // BINGET
      case 0x6a: push(memoGet(memo, u32(), fail)); break; // LONG_BINGET
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x63: { const module = line(); push(findClass(module, line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`STACK_GLOBAL without strings at byte ${at}`);
        push(findClass(module as string, name as string));
        break;
      }
      case 0x69: { const module = line(); const cls = findClass(module, line()); push(new PyObject(cls, popMark())); break; } // INST
      case 0x6f: { // OBJ
        const [cls, ...args] = popMark();
        if (!(cls instanceof PyGlobal)) fail(`OBJ without a class at byte ${at}`);
        push(new PyObject(cls as PyGlobal, args));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args) — recorded, not run
        const args = pop();
        const cls = pop();
        push(instantiate(cls, args instanceof PyTuple ? args.items : [], at, fail));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        pop();
        const args = pop();
        const cls = pop();
        push(instantiate(cls, args instanceof PyTuple ? args.items : [], at, fail));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!(args instanceof PyTuple)) fail(`REDUCE without an argument tuple at byte ${at}`);
        push(reduce(fn, (args as PyTuple).items, at, fail));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        build(top(), state, at, fail);
        break;
      }
      case 0x50: case 0x51: { // PERSID, BINPERSID
        const pid = op === 0x50 ? line() : pop();
        if (!opts.persistentLoad) fail(`persistent id at byte ${at}, but this file has no storages`);
        push(opts.persistentLoad!(pid));
        break;
      }
      case 0x82: case 0x83: case 0x84:
        return fail(`extension-registry opcode 0x${op.toString(16)} at byte ${at} is not supported in weights files`);
      default:
        return fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    }
  }
}

function memoGet(memo: Map<number, PyValue>, i: number, fail: (p: string) => never): PyValue {
  if (!memo.has(i)) fail(`memo key ${i} read before it was written`);
  return memo.get(i)!;
}

function dictKey(k: PyValue): PyKey {
  if (k === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof k)) return k as PyKey;
  return reprKey(k);
}
const reprKey = (k: PyValue): string => (k instanceof PyTuple ? `(${k.items.map((x) => String(dictKey(x))).join(', ')})` : String(k));

const pyInt = (v: bigint): number | bigint => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

/** Little-endian two's-complement integer (LONG1/LONG4). */
function leInt(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b.length && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v;
}

function unquote(s: string): string {
  const q = s[0];
  return (q === "'" || q === '"') && s.endsWith(q) ? s.slice(1, -1) : s;
}

function instantiate(cls: PyValue, args: PyValue[], at: number, fail: (p: string) => never): PyValue {
  if (!(cls instanceof PyGlobal)) return fail(`NEWOBJ without a class at byte ${at}`);
  if (cls.qualname === 'collections.OrderedDict') return new PyDict();
  return new PyObject(cls, args, cls.qualname === 'torch.nn.modules.container.ParameterDict' ? new PyDict() : null);
}

/** What calling an allowed global would produce, built as data. */
function reduce(fn: PyValue, args: PyValue[], at: number, fail: (p: string) => never): PyValue {
  if (!(fn instanceof PyGlobal)) return fail(`REDUCE of a non-global value at byte ${at}`);
  const name = fn.qualname;
  switch (name) {
    case 'collections.OrderedDict': {
      const d = new PyDict();
      const pairs = args[0];
      if (Array.isArray(pairs)) for (const p of pairs) if (p instanceof PyTuple && p.items.length === 2) d.map.set(dictKey(p.items[0]!), p.items[1]!);
      return d;
    }
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = args;
      if (!(storage instanceof TorchStorage)) return fail(`${name} at byte ${at}: first argument is not a storage`);
      return new TorchTensor(storage, intArg(offset, 'storage_offset'), intTuple(size, 'size'), intTuple(stride, 'stride'));
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return args[0] ?? null;
    case '_codecs.encode': // how protocol-2 pickles spell a bytes object: encode(str, 'latin1')
      return typeof args[0] === 'string' ? Uint8Array.from(args[0], (c) => c.charCodeAt(0) & 0xff) : fail(`_codecs.encode of a non-string at byte ${at}`);
    case 'torch.jit._pickle.build_intlist':
    case 'torch.jit._pickle.build_floatlist':
    case 'torch.jit._pickle.build_boollist':
    case 'torch.jit._pickle.build_tensorlist':
    case 'torch.jit._pickle.build_doublelist':
    case 'torch.jit._pickle.restore_type_tag':
      return args[0] ?? null;
    case '__builtin__.set':
    case 'builtins.set':
      return Array.isArray(args[0]) ? [...args[0]] : [];
    case 'numpy.core.multiarray.scalar':
    case 'numpy._core.multiarray.scalar':
      return numpyScalar(args) ?? new PyObject(fn, args);
    case 'torch._utils._rebuild_device_tensor_from_numpy':
    case 'numpy.core.multiarray._reconstruct':
    case 'numpy._core.multiarray._reconstruct':
    case 'numpy.dtype':
    case 'numpy.ndarray':
    case 'torch.nn.modules.container.ParameterDict':
    case 'pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint':
      return new PyObject(fn, args, name.endsWith('ParameterDict') ? new PyDict() : null);
    default:
      return fail(`pickle calls '${name}', which a weights file never does (byte ${at})`);
  }

  function intArg(v: PyValue | undefined, what: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return fail(`${name} at byte ${at}: ${what} is not an integer`);
    return v;
  }
  function intTuple(v: PyValue | undefined, what: string): number[] {
    const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
    if (!items) return fail(`${name} at byte ${at}: ${what} is not a tuple`);
    return items.map((x) => intArg(x, what));
  }
}

/** numpy.core.multiarray.scalar(dtype, bytes) for the plain numeric dtypes (e.g. a saved `best_model_score`). */
function numpyScalar(args: PyValue[]): number | boolean | null {
  const [dt, raw] = args;
  if (!(dt instanceof PyObject) || !(raw instanceof Uint8Array) || typeof dt.args[0] !== 'string') return null;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const code = dt.args[0];
  const read: Record<string, () => number | boolean> = {
    f8: () => dv.getFloat64(0, true), f4: () => dv.getFloat32(0, true), i8: () => Number(dv.getBigInt64(0, true)),
    i4: () => dv.getInt32(0, true), i2: () => dv.getInt16(0, true), i1: () => dv.getInt8(0), u1: () => dv.getUint8(0),
    u4: () => dv.getUint32(0, true), b1: () => dv.getUint8(0) !== 0,
  };
  const size = Number(code.slice(1));
  return read[code] && raw.length >= size ? read[code]!() : null;
}

function build(target: PyValue, state: PyValue, at: number, fail: (p: string) => never): void {
  if (target instanceof PyDict && state instanceof PyDict) {
    for (const [k, v] of state.map) target.map.set(k, v);
  } else if (target instanceof PyObject) {
    target.state = state;
  } else if (target instanceof TorchTensor) {
    // torch ≥ 1.x may BUILD tensor attributes (e.g. `_backward_hooks`); the values are not ours to keep.
  } else {
    fail(`BUILD on an unsupported value at byte ${at}`);
  }
}

/**
 * Torch's storage persistent id: ('storage', StorageClass, key, location, numel[, view_metadata]). Only this
 * shape is accepted, as in A1111's `persistent_load`.
 */
export function parseStoragePid(pid: PyValue, file: string): TorchStorage {
  const fail = (why: string): never => {
    throw new WeightsError(file, `pickle: ${why}`);
  };
  const items = pid instanceof PyTuple ? pid.items : fail('persistent id is not a tuple');
  const [kind, cls, key, location, n, view] = items;
  if (kind !== 'storage') fail(`persistent id of kind '${String(kind)}' (only 'storage' is allowed)`);
  if (!(cls instanceof PyGlobal) || cls.module !== 'torch' || !STORAGE_DTYPES[cls.name]) {
    fail(`persistent id with storage type '${cls instanceof PyGlobal ? cls.qualname : String(cls)}' (typed storages only)`);
  }
  if (typeof key !== 'string' || typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail('malformed storage persistent id');
  let viewOf: TorchStorage['viewOf'];
  if (view instanceof PyTuple) {
    const [vkey, voff] = view.items;
    if (typeof vkey !== 'string' || typeof voff !== 'number') fail('malformed storage view metadata');
    viewOf = { key: vkey as string, offset: voff as number };
  }
  return new TorchStorage(key as string, STORAGE_DTYPES[(cls as PyGlobal).name]!, n as number, String(location), viewOf);
}

/** Python-ish repr of a non-tensor leaf, for listings and tests (`470000`, `'abc'`, `None`). */
export function pyRepr(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : reprFloat(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return `'${v}'`;
  if (v instanceof Uint8Array) return `b<${v.length} bytes>`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v instanceof PyTuple) return `(${v.items.map(pyRepr).join(', ')}${v.items.length === 1 ? ',' : ''})`;
  if (v instanceof PyDict) return `{${[...v.map].map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  if (v instanceof PyGlobal) return v.qualname;
  if (v instanceof PyObject) return `<${v.cls.qualname}>`;
  if (v instanceof TorchStorage) return `<storage ${v.key}>`;
  return `tensor(${v.shape.join('×')})`;
}
const reprFloat = (v: number): string => (Number.isFinite(v) ? (Number.isInteger(v) ? `${v}.0` : String(v)) : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
