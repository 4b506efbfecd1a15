import { open, type FileHandle } from 'node:fs/promises';
import { DTYPE_SIZE, TensorReader, WeightsError, byteLength, contiguousStrides, type TensorRecord } from './formats/tensorRecord';
import type { MergeProgress } from './merge';
import { mergeTensor, type Planned } from './mergePlan';
import type { F16Kernels, F16Op } from './mergeKernels/f16';
import type { OutputFile, OutputHasher } from './mergeKernels/output';

// The merge's streaming engine: the output is cut into chunks of at most `chunkBytes`, each processed in a slot of a shared memory:
// sources are read straight into the slot (large positional reads), merged in place by the fp16 kernel (or, for
// other dtypes, the whole tensor is merged by the generic path and copied in chunk by chunk), then written at
// its position and hashed by the workers; the slot is reused once both are done. Reads run `slots − 2` chunks
// ahead of the merge, so disk, arithmetic and hashing overlap; memory stays bounded by the slots (plus the
// largest tensor for tensors that take the generic path).

type ChunkKind = 'fused' | 'copy' | 'generic';

interface Chunk {
  p: Planned;
  index: number;
  kind: ChunkKind;
  /** Byte offset of the chunk in the tensor's output bytes, and its length. */
  start: number;
  len: number;
  /** File position of the chunk in the output. */
  pos: number;
  last: boolean;
}

/** Byte position of a contiguous record's first element, or undefined when it is a strided view. */
function contiguousStart(r: TensorRecord): number | undefined {
  const c = contiguousStrides(r.shape);
  if (!r.shape.every((d, i) => d === 1 || c[i] === r.strides[i])) return undefined;
  return r.offset + r.storageOffset * DTYPE_SIZE[r.dtype];
}

function kindOf(p: Planned): ChunkKind {
  const k = p.kernel;
  const srcs = k.sources.filter((r): r is TensorRecord => !!r);
  if (!srcs.every((r) => contiguousStart(r) !== undefined)) return 'generic';
  if (k.op === 'copy') return srcs[0]!.dtype === p.dtype ? 'copy' : 'generic';
  return p.dtype === 'F16' && !k.channels && srcs.every((r) => r.dtype === 'F16') ? 'fused' : 'generic';
}

function* chunksOf(plan: Planned[], dataStart: number, chunkBytes: number): Generator<Chunk> {
  let pos = dataStart;
  for (let index = 0; index < plan.length; index++) {
    const p = plan[index]!;
    const n = byteLength(p);
    const kind = kindOf(p);
    let start = 0;
    do {
      const len = Math.min(chunkBytes, n - start);
      yield { p, index, kind, start, len, pos: pos + start, last: start + len >= n };
      start += len;
    } while (start < n);
    pos += n;
  }
}

/** Source file handles (one per file) and the generic path's reader. */
export class Sources {
  readonly reader = new TensorReader();
  private readonly handles = new Map<string, Promise<FileHandle>>();

  /** Reads `into.length` bytes of `file` at `position` into `into`; a short read means the file is truncated. */
  async readInto(file: string, position: number, into: Uint8Array): Promise<void> {
    let h = this.handles.get(file);
    if (!h) {
      h = open(file, 'r');
      this.handles.set(file, h);
      h.catch(() => this.handles.delete(file));
    }
    const fh = await h;
    let done = 0;
    while (done < into.length) {
      const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
      if (bytesRead === 0) throw new WeightsError(file, `truncated: expected ${into.length} bytes at offset ${position}, file ends after ${done}`);
      done += bytesRead;
    }
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all([this.reader.close(), ...all.map((p) => p.then((h) => h.close(), () => undefined))]);
  }
}

/** A fixed set of slot indices handed out in order of request. */
class SlotPool {
  private free: number[];
  private waiters: ((slot: number) => void)[] = [];
  constructor(n: number) {
    this.free = Array.from({ length: n }, (_, i) => i);
  }
  acquire(): Promise<number> {
    const s = this.free.pop();
    return s !== undefined ? Promise.resolve(s) : new Promise((res) => this.waiters.push(res));
  }
  release(slot: number): void {
    const w = this.waiters.shift();
    if (w) w(slot);
    else this.free.push(slot);
  }
}

/** What the stream needs besides the plan: pipeline size, cancellation and progress. */
export interface StreamOptions {
  slots: number;
  signal?: AbortSignal;
  onProgress?: (p: MergeProgress) => void;
}

export async function streamMerge(
  plan: Planned[], out: OutputFile, io: Sources, mem: F16Kernels, hasher: OutputHasher, chunkBytes: number, total: number, o: StreamOptions,
): Promise<void> {
  const { slots } = o;
  const slotBytes = 4 * chunkBytes;
  const pool = new SlotPool(slots);
  const bytes = mem.bytes;
  /** Merged bytes of generic tensors, from their first chunk to their last. */
  const generic = new Map<number, Promise<Uint8Array>>();
  const loadGeneric = (c: Chunk) => {
    let g = generic.get(c.index);
    if (!g) {
      const srcs = c.p.kernel.sources;
      g = Promise.all(srcs.map((r) => (r ? io.reader.bytes(r) : Promise.resolve(null)))).then((data) => mergeTensor(c.p.kernel, data, c.p.dtype));
      generic.set(c.index, g);
    }
    return g;
  };

  /** Slot acquired and the chunk's inputs in it. */
  const prepare = async (c: Chunk): Promise<number> => {
    const slot = await pool.acquire();
    const base = slot * slotBytes;
    try {
      if (c.kind === 'generic') {
        await loadGeneric(c);
      } else if (c.kind === 'copy') {
        const r = c.p.kernel.sources[0]!;
        await io.readInto(r.file, contiguousStart(r)! + c.start, bytes.subarray(base, base + c.len));
      } else {
        await Promise.all(c.p.kernel.sources.map((r, k) =>
          r ? io.readInto(r.file, contiguousStart(r)! + c.start, bytes.subarray(base + (k + 1) * chunkBytes, base + (k + 1) * chunkBytes + c.len)) : undefined));
      }
    } catch (e) {
      pool.release(slot);
      throw e;
    }
    return slot;
  };

  const it = chunksOf(plan, out.dataStart, chunkBytes);
  const ahead: { c: Chunk; ready: Promise<number> }[] = [];
  const startNext = () => {
    const n = it.next();
    if (n.done) return;
    const ready = prepare(n.value);
    ready.catch(() => undefined); // reported when awaited
    ahead.push({ c: n.value, ready });
  };
  for (let i = 0; i < Math.max(1, slots - 2); i++) startNext();

  let failed: unknown;
  const inflight = new Set<Promise<void>>();
  let done = 0;
  try {
    while (ahead.length) {
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('cancelled');
      if (failed) throw failed;
      const { c, ready } = ahead.shift()!;
      const slot = await ready;
      startNext();
      const base = slot * slotBytes;
      if (c.kind === 'fused') {
        const k = c.p.kernel;
        const src = (i: number) => (k.sources[i] ? base + (i + 1) * chunkBytes : -1);
        mem.run(k.op as F16Op, k.m!, src(0), src(1), src(2), base, c.len / 2);
      } else if (c.kind === 'generic') {
        const merged = await loadGeneric(c);
        bytes.set(merged.subarray(c.start, c.start + c.len), base);
        if (c.last) generic.delete(c.index);
      }
      const chunk = bytes.subarray(base, base + c.len);
      const step = Promise.all([out.write(chunk, c.pos), hasher.update(base, c.len)]).then(
        () => pool.release(slot),
        (e) => {
          failed ??= e;
        },
      );
      inflight.add(step);
      void step.then(() => inflight.delete(step));
      done += c.len;
      const tensor = c.index + (c.last ? 1 : 0);
      o.onProgress?.({ stage: 'merging', done, total, tensor, tensors: plan.length, message: `${c.index + 1}/${plan.length} ${c.p.name}` });
    }
    await Promise.all(inflight);
    if (failed) throw failed;
  } finally {
    await Promise.allSettled([...inflight, ...ahead.map((a) => a.ready)]);
  }
}
