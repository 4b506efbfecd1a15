// One entry point for every weights file: the format is decided by the first bytes, never by the extension
// (A1111 users have `.ckpt` safetensors and `.bin` torch zips). Returns the tensor records, safetensors
// metadata and non-tensor leaves, plus A1111's view of the file as a state dict.
import { open as openFile, stat } from 'node:fs/promises';
import type { PyValue } from './pickle';
import { readSafetensors } from './safetensors';
import { WeightsError, type TensorRecord } from './tensorRecord';
import { readTorchLegacy } from './torchLegacy';
import { readTorchZip, type TorchReadOptions } from './torchZip';

export type WeightsFormat = 'safetensors' | 'torch-zip' | 'torch-legacy';

export interface WeightsFile {
  path: string;
  format: WeightsFormat;
  /** Every tensor; torch files name them by '/'-joined path in the tree (`state_dict/model.x`). */
  tensors: TensorRecord[];
  /** safetensors `__metadata__` (empty for torch files). */
  metadata: Record<string, string>;
  /** Non-tensor leaves of torch files (`global_step`). */
  leaves: Map<string, PyValue>;
}

/**
 * Refuses anything but a regular file before it is opened: opening a FIFO blocks until a writer comes, and a
 * device (`/dev/zero`) never ends.
 */
export async function assertRegularFile(path: string): Promise<void> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new WeightsError(path, e.code === 'ENOENT' ? 'file not found' : `cannot open (${e.code ?? e.message})`);
  });
  if (!st.isFile()) throw new WeightsError(path, `not a regular file (${st.isDirectory() ? 'a folder' : 'a device, pipe or socket'}): expected a weights file`);
}

export async function detectFormat(path: string): Promise<WeightsFormat> {
  let head: Uint8Array;
  await assertRegularFile(path);
  const fh = await openFile(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new WeightsError(path, e.code === 'ENOENT' ? 'file not found' : `cannot open (${e.code ?? e.message})`);
  });
  try {
    head = new Uint8Array(16);
    const { bytesRead } = await fh.read(head, 0, 16, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return 'torch-zip';
  if (head.length >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return 'torch-legacy';
  if (head.length >= 9 && head[8] === 0x7b /* '{' */) return 'safetensors';
  if (head.length < 9) throw new WeightsError(path, `truncated or empty (${head.length} bytes): not a weights file`);
  throw new WeightsError(path, 'unrecognised format: not safetensors, a PyTorch zip checkpoint or a legacy PyTorch pickle');
}

/** Opens any supported weights file; reads headers and pickles only, never the tensor data. */
export async function openWeights(path: string, opts: TorchReadOptions = {}): Promise<WeightsFile> {
  const format = await detectFormat(path);
  if (format === 'safetensors') {
    const st = await readSafetensors(path);
    return { path, format, tensors: st.tensors, metadata: st.metadata, leaves: new Map() };
  }
  const ck = format === 'torch-zip' ? await readTorchZip(path, opts) : await readTorchLegacy(path, opts);
  return { path, format, tensors: ck.tensors, metadata: {}, leaves: ck.leaves };
}

/**
 * The file as A1111's `read_state_dict` sees it before key renames: a top-level `state_dict` is unwrapped,
 * otherwise the top-level tensors are the state dict. Keys keep their order in the file.
 */
export function stateDict(w: WeightsFile): Map<string, TensorRecord> {
  const wrapped = w.format !== 'safetensors' && w.tensors.some((t) => t.name.startsWith('state_dict/'));
  const out = new Map<string, TensorRecord>();
  for (const t of w.tensors) {
    if (wrapped) {
      if (t.name.startsWith('state_dict/')) out.set(t.name.slice('state_dict/'.length), { ...t, name: t.name.slice('state_dict/'.length) });
    } else {
      out.set(t.name, t);
    }
  }
  return out;
}
