// The merge's output side: a safetensors file written chunk by chunk at known positions from a shared memory
// (temp file + rename, like SafetensorsWriter, so a reader never sees a partial file), and its two hashes
// (full-file SHA-256, and the addnet hash of the bytes after the header) computed while it is written — on two
// worker threads reading the same shared memory for large outputs, so hashing leaves the main thread free.
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { encodeHeader, type TensorSpec } from '../formats/safetensors';
import { AtomicFile } from '../formats/atomicFile';

export interface OutputHashes {
  sha256: string;
  /** null when not computed (`addnet: false`). */
  addnet: string | null;
}

/** Plain CommonJS, run with `eval` so the bundles need no extra file. One hash per worker. */
const HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const mem = new Uint8Array(workerData.sab);
const h = createHash('sha256');
parentPort.on('message', (m) => {
  if (m.bytes) h.update(m.bytes);
  else if (m.end) parentPort.postMessage({ digest: h.digest('hex') });
  else { h.update(mem.subarray(m.off, m.off + m.len)); parentPort.postMessage({ id: m.id }); }
});
`;

class HashWorker {
  private readonly w: Worker;
  private readonly waiting = new Map<number, () => void>();
  private digestWaiter: ((hex: string) => void) | undefined;
  private failed: Error | undefined;
  private failWaiters: ((e: Error) => void)[] = [];
  private id = 0;

  constructor(sab: SharedArrayBuffer) {
    this.w = new Worker(HASH_WORKER, { eval: true, workerData: { sab } });
    this.w.on('message', (m: { id?: number; digest?: string }) => {
      if (m.digest !== undefined) this.digestWaiter?.(m.digest);
      else {
        const done = this.waiting.get(m.id!);
        this.waiting.delete(m.id!);
        done?.();
      }
    });
    const fail = (e: Error) => {
      this.failed ??= e;
      for (const f of this.failWaiters) f(this.failed);
      this.failWaiters = [];
    };
    this.w.on('error', fail);
    this.w.on('exit', (code) => fail(new Error(`hash worker exited (${code})`)));
  }

  private guarded<T>(p: Promise<T>): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    return Promise.race([p, new Promise<never>((_, rej) => this.failWaiters.push(rej))]);
  }

  bytes(b: Uint8Array): void {
    this.w.postMessage({ bytes: b.slice() });
  }

  update(off: number, len: number): Promise<void> {
    const id = this.id++;
    const p = new Promise<void>((res) => this.waiting.set(id, res));
    this.w.postMessage({ off, len, id });
    return this.guarded(p);
  }

  digest(): Promise<string> {
    const p = new Promise<string>((res) => (this.digestWaiter = res));
    this.w.postMessage({ end: true });
    return this.guarded(p);
  }

  close(): Promise<number> {
    this.failed ??= new Error('hash worker closed');
    return this.w.terminate();
  }
}

/** SHA-256 of the whole file and of its data block, fed in file order from `mem`. */
export class OutputHasher {
  private readonly full?: Hash;
  private readonly addnet?: Hash;
  private readonly workers?: HashWorker[];

  /** `threads`: hash on worker threads (one per hash); `addnet`: also hash the data block alone. */
  constructor(
    private readonly mem: Uint8Array,
    header: Uint8Array,
    threads: boolean,
    addnet = true,
  ) {
    if (threads && mem.buffer instanceof SharedArrayBuffer) {
      const sab = mem.buffer;
      this.workers = Array.from({ length: addnet ? 2 : 1 }, () => new HashWorker(sab));
      this.workers[0]!.bytes(header);
    } else {
      this.full = createHash('sha256').update(header);
      if (addnet) this.addnet = createHash('sha256');
    }
  }

  /** Hashes mem[off, off + len) (the next bytes of the file); resolves when that memory may be reused. */
  update(off: number, len: number): Promise<void> {
    if (this.workers) return Promise.all(this.workers.map((w) => w.update(off, len))).then(() => undefined);
    const b = this.mem.subarray(off, off + len);
    this.full!.update(b);
    this.addnet?.update(b);
    return Promise.resolve();
  }

  async digest(): Promise<OutputHashes> {
    if (this.workers) {
      const [sha256, addnet] = await Promise.all(this.workers.map((w) => w.digest()));
      return { sha256: sha256!, addnet: addnet ?? null };
    }
    return { sha256: this.full!.digest('hex'), addnet: this.addnet?.digest('hex') ?? null };
  }

  async close(): Promise<void> {
    if (this.workers) await Promise.all(this.workers.map((w) => w.close()));
  }
}

/** The output file: header written at create, data written at explicit positions, renamed into place by commit. */
export class OutputFile {
  readonly dataStart: number;

  private constructor(
    private readonly file: AtomicFile,
    readonly header: Uint8Array,
  ) {
    this.dataStart = header.length;
  }

  get path(): string {
    return this.file.path;
  }

  static async create(path: string, specs: TensorSpec[], metadata: Record<string, string>, overwrite = true): Promise<OutputFile> {
    const header = encodeHeader(specs, metadata);
    const file = await AtomicFile.create(path, { overwrite });
    const f = new OutputFile(file, header);
    try {
      await file.writeAt(header, 0);
    } catch (e) {
      await f.abort();
      throw e;
    }
    return f;
  }

  /** Writes all of `bytes` at file position `position`. */
  write(bytes: Uint8Array, position: number): Promise<void> {
    return this.file.writeAt(bytes, position);
  }

  commit(): Promise<void> {
    return this.file.commit();
  }

  /** Drops the temp file (idempotent). */
  abort(): Promise<void> {
    return this.file.abort();
  }
}
