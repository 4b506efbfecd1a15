// The pre-1.6 torch.save format (`_use_new_zipfile_serialization=False`): five pickles in a row — magic number,
// protocol version, sys info, the object tree, the list of storage keys — then each storage as an int64 element
// count followed by its raw bytes, in key-list order. Only the pickles are read into memory; storage positions
// are found by hopping over the counts, and tensor values stay in the file until asked for.
import { open } from 'node:fs/promises';
import { PICKLE_LIMITS, PickleTruncated, PyDict, parseStoragePid, unpickle, type PyValue, type TorchStorage } from './pickle';
import { DTYPE_SIZE, WeightsError, readExactly } from './tensorRecord';
import { collectTensors, type TorchCheckpoint } from './torchCheckpoint';
import type { TorchReadOptions } from './torchZip';

const MAGIC = 0x1950a86a20f9469cfc6cn;

export async function readTorchLegacy(path: string, opts: TorchReadOptions = {}): Promise<TorchCheckpoint> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const fail = (problem: string): never => {
      throw new WeightsError(path, problem);
    };
    // The pickles are small next to the storages: read a window and grow it until all five parse (up to the
    // size limit of a weights pickle: past that the file is not a checkpoint).
    const maxWindow = Math.min(size, PICKLE_LIMITS.maxBytes);
    for (let window = Math.min(maxWindow, 1 << 20); ; window = Math.min(maxWindow, window * 4)) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
      const head = await readExactly(fh, path, 0, window);
      const refs = new Map<string, TorchStorage>();
      let parsed: { tree: PyValue; keys: PyValue; end: number };
      try {
        parsed = parseHead(head, path, refs);
      } catch (e) {
        if (e instanceof PickleTruncated && window < maxWindow) continue;
        if (e instanceof PickleTruncated && window < size) fail(`the pickles run past ${PICKLE_LIMITS.maxBytes} bytes, the limit of a weights pickle`);
        throw e;
      }
      const { tree, keys } = parsed;
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) return fail('storage key list is not a list of strings');
      // Each storage: int64 element count, then the bytes. Its dtype (hence size) comes from the tree's ids.
      const located = new Map<string, { offset: number; bytes: number }>();
      let pos = parsed.end;
      for (const key of keys as string[]) {
        const ref = refs.get(key) ?? fail(`storage '${key}' is listed but no tensor uses it`);
        if (located.has(key)) fail(`storage '${key}' is listed twice`);
        const countBytes = await readExactly(fh, path, pos, 8);
        const count = Number(new DataView(countBytes.buffer).getBigInt64(0, true));
        const bytes = count * DTYPE_SIZE[ref.dtype];
        if (count < 0 || pos + 8 + bytes > size) fail(`storage '${key}' (${count} elements at ${pos}) runs past the end of the file: truncated`);
        if (count < ref.numel) fail(`storage '${key}' holds ${count} elements, the tree says ${ref.numel}`);
        located.set(key, { offset: pos + 8, bytes });
        pos += 8 + bytes;
      }
      return collectTensors(path, 'torch-legacy', tree, (s) => {
        const at = located.get(s.key) ?? fail(`storage '${s.key}' is used but not stored`);
        return { offset: at.offset, storageOffset: s.viewOf?.offset ?? 0, bytes: at.bytes };
      });
    }
  } finally {
    await fh.close();
  }
}

function parseHead(head: Uint8Array, path: string, refs: Map<string, TorchStorage>): { tree: PyValue; keys: PyValue; end: number } {
  const fail = (problem: string): never => {
    throw new WeightsError(path, problem);
  };
  const magic = unpickle(head, { file: path });
  if (magic.value !== MAGIC) fail(`not a PyTorch checkpoint: a plain pickle (first value ${describe(magic.value)}, not torch's magic number)`);
  const version = unpickle(head, { file: path, start: magic.end });
  if (version.value !== 1001) fail(`unsupported legacy protocol version ${String(version.value)}`);
  const info = unpickle(head, { file: path, start: version.end });
  if (info.value instanceof PyDict && info.value.map.get('little_endian') === false) fail('big-endian checkpoints are not supported');
  const tree = unpickle(head, {
    file: path,
    start: info.end,
    persistentLoad: (pid) => {
      const s = parseStoragePid(pid, path);
      const prev = refs.get(s.key);
      if (prev && prev.dtype !== s.dtype) fail(`storage '${s.key}' used as both ${prev.dtype} and ${s.dtype}`);
      refs.set(s.key, s);
      return s;
    },
  });
  const keys = unpickle(head, { file: path, start: tree.end });
  return { tree: tree.value, keys: keys.value, end: keys.end };
}

const describe = (v: PyValue): string => (v instanceof PyDict ? 'a dict' : typeof v === 'object' ? 'an object' : String(v));
