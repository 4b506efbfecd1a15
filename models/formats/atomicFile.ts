// The one way SD Studio writes a file or a folder: under a temporary name beside the destination, renamed into
// place only when complete, so a reader (ONNX Runtime, A1111, another process) never sees half of it, and a
// failed or cancelled write leaves nothing behind. Streaming writers use AtomicFile; whole buffers use
// writeFileAtomic(Sync); outputs that must never replace an existing file use writeNewFileSync; cache folders
// built file by file use buildDirAtomic.
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { link, mkdir, open, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The longest name a file may have on the filesystems users have (ext4, APFS, NTFS): counted in UTF-8 bytes. */
export const NAME_MAX_BYTES = 255;

/** The output exists and replacing it was not asked for: nothing was written. */
export class OutputExistsError extends Error {
  override name = 'OutputExistsError';
  constructor(readonly path: string) {
    super(`${path}: the file exists; nothing was written (replace it with --overwrite, or overwrite: true over the protocol)`);
  }
}

/** The longest prefix of `s` whose UTF-8 encoding fits in `max` bytes, never splitting a character. */
export function fitUtf8(s: string, max: number): string {
  let bytes = 0;
  let i = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + n > max) break;
    bytes += n;
    i += ch.length;
  }
  return s.slice(0, i);
}

/**
 * A hidden, unique name beside `path` (same folder, so the rename stays on one filesystem). The destination's name
 * is shortened as needed so the temp name stays within NAME_MAX_BYTES: a legal 250-byte name must not fail only
 * because of the temp suffix.
 */
export function tempPathFor(path: string): string {
  const suffix = `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  return join(dirname(path), `.${fitUtf8(basename(path), NAME_MAX_BYTES - 1 - suffix.length)}${suffix}`);
}

export interface AtomicFileOptions {
  /** fsync before the rename (default true), for outputs the user keeps (not for caches). */
  durable?: boolean;
  /**
   * Replace an existing file (default true). Without it an existing file is refused at create, and commit links the
   * file into place, which fails rather than replace a file that appeared meanwhile (OutputExistsError).
   */
  overwrite?: boolean;
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
    private readonly overwrite: boolean,
  ) {}

  static async create(path: string, opts: AtomicFileOptions = {}): Promise<AtomicFile> {
    const overwrite = opts.overwrite ?? true;
    if (!overwrite && (await stat(path).then(() => true, () => false))) throw new OutputExistsError(path);
    const tmp = tempPathFor(path);
    return new AtomicFile(path, tmp, await open(tmp, 'wx'), opts.durable ?? true, overwrite);
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
      if (this.overwrite) await rename(this.tmp, this.path);
      else await placeNew(this.tmp, this.path);
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

/** Moves `tmp` to `path` only if `path` is free: a hard link fails on an existing name, where rename replaces it. */
async function placeNew(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OutputExistsError(path);
    // Filesystems without hard links (FAT, some network shares): check, then rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    if (await stat(path).then(() => true, () => false)) throw new OutputExistsError(path);
    await rename(tmp, path);
    return;
  }
  await rm(tmp, { force: true });
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
 * A write that fails (a full disk) leaves no temp file behind.
 */
export function writeNewFileSync(path: string, bytes: Uint8Array): boolean {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, bytes, { flag: 'wx' });
    linkSync(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP') {
      // Filesystems without hard links: rename is still atomic once the name is checked free.
      if (existsSync(path)) return false;
      renameSync(tmp, path);
      return true;
    }
    throw e;
  } finally {
    rmSync(tmp, { force: true });
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
