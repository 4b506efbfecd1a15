import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
  ) {}

  static async create(path: string): Promise<AtomicFile> {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
    return new AtomicFile(path, tmp, await open(tmp, 'wx'));
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
      await this.fh.sync();
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
