// The one way SD Studio writes a file or a folder: under a temporary name beside the destination, renamed into
// place only when complete, so a reader (ONNX Runtime, A1111, another process) never sees half of it, and a
// failed or cancelled write leaves nothing behind. Streaming writers use AtomicFile; whole buffers use
// writeFileAtomic(Sync); outputs that must never replace an existing file use writeNewFileSync; cache folders
// built file by file use buildDirAtomic.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A hidden, unique name beside `path` (same folder, so the rename stays on one filesystem). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * A file written under a hidden temp name beside its destination and renamed into place only on `commit`, so a
 * reader never sees half a file and a failed or cancelled write leaves nothing behind (`abort`).
 */
export class AtomicFile {
  private done = false;

  private constructor(
    readonly path: string,
    readonly tmp: string,
    readonly fh: FileHandle,
    private readonly durable: boolean,
  ) {}

  /** `durable` (default true): fsync before the rename, for outputs the user keeps (not for caches). */
  static async create(path: string, opts: { durable?: boolean } = {}): Promise<AtomicFile> {
    const tmp = tempPathFor(path);
    return new AtomicFile(path, tmp, await open(tmp, 'wx'), opts.durable ?? true);
  }

  get closed(): boolean {
    return this.done;
  }

  /** Writes all of `bytes` at `position` (a short write continues). */
  async writeAt(bytes: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.byteLength - done, position + done);
      done += bytesWritten;
    }
  }

  /** Flushes, closes and renames into place; on failure the temp file is removed. */
  async commit(): Promise<void> {
    try {
      if (this.durable) await this.fh.sync();
      await this.fh.close();
      this.done = true;
      await rename(this.tmp, this.path);
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  /** Drops the temp file (idempotent). */
  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.fh.close().catch(() => undefined);
    }
    await rm(this.tmp, { force: true });
  }
}

/** Writes `data` to `path` atomically, replacing what is there; the temp file is removed on failure. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** writeFileAtomic for synchronous callers. */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes bytes to a NEW file atomically and never over an existing one: the temp file is hard-linked to the final
 * name (link fails if the name exists), then dropped. Returns false if the name was taken. The folder is created.
 */
export function writeNewFileSync(path: string, bytes: Uint8Array): boolean {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  writeFileSync(tmp, bytes, { flag: 'wx' });
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP') {
      // Filesystems without hard links: rename is still atomic; the name was checked free just before.
      renameSync(tmp, path);
      return true;
    }
    throw e;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed
    }
  }
}

/**
 * Builds a folder atomically: `fill` writes into a fresh temp folder beside `dir`, which then replaces `dir`
 * (created parents included). On failure the temp folder is removed and `dir` is left as it was.
 */
export async function buildDirAtomic<T>(dir: string, fill: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = tempPathFor(dir);
  await mkdir(tmp, { recursive: true });
  try {
    const result = await fill(tmp);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return result;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
