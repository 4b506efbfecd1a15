// What both torch readers (zip and legacy) produce: the unpickled object tree, walked once into tensor records
// and non-tensor leaves. The walk is where a crafted file's views are refused: nesting past MAX_NESTING, a view
// of more elements than its storage holds (a stride-0 expansion to billions of elements), and views that together
// would materialise far more bytes than the storages hold (one storage referenced thousands of times) — each of
// those turns a few hundred bytes of file into gigabytes of converted output.
import { MAX_NESTING, PyDict, PyObject, PyTuple, TorchTensor, type PyValue, type TorchStorage } from './pickleValues';
import { DTYPE_SIZE, WeightsError, checkRecord, numel, type TensorRecord } from './tensorRecord';

/** A torch checkpoint (zip or legacy) as read: its object tree, every tensor by path, every other leaf. */
export interface TorchCheckpoint {
  path: string;
  format: 'torch-zip' | 'torch-legacy';
  root: PyValue;
  /** Named by their path in the tree, '/'-joined: `state_dict/model.diffusion_model...`, `w`. */
  tensors: TensorRecord[];
  /** Non-tensor leaves by path (`global_step` → 470000). */
  leaves: Map<string, PyValue>;
}

/** Where a storage's element 0 is in the file, and how many bytes it may use. */
export type LocateStorage = (s: TorchStorage) => { offset: number; storageOffset: number; bytes: number; inline?: Uint8Array };

/**
 * Views may materialise at most this many times the bytes of the storages they use (plus a small allowance):
 * real files reach ~1× (a few tied weights and slices), never thousands.
 */
export const MAX_VIEW_FACTOR = 4;
const VIEW_ALLOWANCE = 16 << 20;

/** Walks the unpickled tree and turns each tensor description into a checked record. */
export function collectTensors(path: string, format: TorchCheckpoint['format'], root: PyValue, locate: LocateStorage): TorchCheckpoint {
  const fail = (problem: string): never => {
    throw new WeightsError(path, problem);
  };
  const tensors: TensorRecord[] = [];
  const leaves = new Map<string, PyValue>();
  const seen = new Set<PyValue>();
  const storageBytes = new Map<string, number>();
  let viewBytes = 0;
  const walk = (v: PyValue, at: string, depth: number): void => {
    if (depth > MAX_NESTING) fail(`the object tree nests deeper than ${MAX_NESTING} levels (at '${at.slice(0, 200)}…'): not a weights file`);
    if (v instanceof TorchTensor) {
      const s = v.storage;
      const n = numel(v.shape);
      if (n > s.numel) {
        fail(`tensor '${at}': a view of ${n} elements (shape [${v.shape.join(', ')}], strides [${v.strides.join(', ')}]) over a storage of ${s.numel}: refused (a stride-0 expansion?)`);
      }
      const loc = locate(s);
      const r: TensorRecord = {
        name: at, file: path, offset: loc.offset, dtype: s.dtype, shape: v.shape, strides: v.strides,
        storageOffset: v.storageOffset + loc.storageOffset, storageBytes: loc.bytes, ...(loc.inline ? { inline: loc.inline } : {}),
      };
      checkRecord(r);
      storageBytes.set(s.key, Math.max(storageBytes.get(s.key) ?? 0, s.numel * DTYPE_SIZE[s.dtype]));
      viewBytes += n * DTYPE_SIZE[s.dtype];
      tensors.push(r);
      return;
    }
    if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array)) {
      if (seen.has(v)) return; // shared sub-objects: walked once
      seen.add(v);
    }
    const join = (k: unknown) => (at ? `${at}/${String(k)}` : String(k));
    if (v instanceof PyDict) for (const [k, x] of v.map) walk(x, join(k), depth + 1);
    else if (v instanceof PyObject && v.state instanceof PyDict) walk(v.state, at, depth + 1);
    else if (Array.isArray(v) || v instanceof PyTuple) (Array.isArray(v) ? v : v.items).forEach((x, i) => walk(x, join(i), depth + 1));
    else leaves.set(at, v);
  };
  walk(root, '', 0);
  let held = 0;
  for (const b of storageBytes.values()) held += b;
  if (viewBytes > MAX_VIEW_FACTOR * held + VIEW_ALLOWANCE) {
    fail(`${tensors.length} tensor views would materialise ${viewBytes} bytes from ${held} bytes of storage (over ${MAX_VIEW_FACTOR}×): refused, storages are referenced too many times`);
  }
  return { path, format, root, tensors, leaves };
}
