// The pickle allow-list and what each allowed global stands for. A GLOBAL is looked up in A1111's
// `modules/safe.py` list (tensor rebuilds, storage classes, OrderedDict, the numpy scalar/dtype reconstruction,
// ...); anything else stops the load with an error naming the global (`posix.system`). Allowed globals are not run
// either: REDUCE of an allowed one builds the data it stands for (a tensor description, a dict, bytes).
import { PyDict, PyGlobal, PyObject, PyTuple, TorchStorage, TorchTensor, dictKey, type PyValue } from './pickleValues';
import { WeightsError, type DType } from './tensorRecord';

type Fail = (problem: string) => never;

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

/**
 * GLOBAL / STACK_GLOBAL / INST: the global as a symbol, or a refusal naming it. In a TorchScript archive's data.pkl
 * the compiled classes (`__torch__.*`) and `torch.jit._pickle` list builders are symbols too (never run).
 */
export function findClass(module: string, name: string, fail: Fail, torchScript = false): PyGlobal {
  const q = `${module}.${name}`;
  if (torchScript && (module === '__torch__' || module.startsWith('__torch__.') || module === 'torch.jit._pickle')) return new PyGlobal(module, name);
  if (!ALLOWED.has(q)) {
    fail(`global '${q}' is forbidden: it is not a weights type (a checkpoint never needs it; the file may be malicious). Nothing was executed.`);
  }
  return new PyGlobal(module, name);
}

/** NEWOBJ: `cls.__new__(cls, *args)`, recorded, not run. */
export function instantiate(cls: PyValue, args: PyValue[], at: number, fail: Fail): PyValue {
  if (!(cls instanceof PyGlobal)) return fail(`NEWOBJ without a class at byte ${at}`);
  if (cls.qualname === 'collections.OrderedDict') return new PyDict();
  return new PyObject(cls, args, cls.qualname === 'torch.nn.modules.container.ParameterDict' ? new PyDict() : null);
}

/** What calling an allowed global would produce, built as data. */
export function reduce(fn: PyValue, args: PyValue[], at: number, fail: Fail): PyValue {
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

/** BUILD: set an instance's state (dicts merge; tensors' extra attributes are dropped). */
export function build(target: PyValue, state: PyValue, at: number, fail: Fail): void {
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
    if (typeof vkey !== 'string' || typeof voff !== 'number' || !Number.isSafeInteger(voff) || voff < 0) fail('malformed storage view metadata');
    viewOf = { key: vkey as string, offset: voff as number };
  }
  return new TorchStorage(key as string, STORAGE_DTYPES[(cls as PyGlobal).name]!, n as number, String(location), viewOf);
}
