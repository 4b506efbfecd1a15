// Model hashes as A1111 (`modules/hashes.py`, `modules/sd_models.py: model_hash`) and Civitai compute them: the
// full-file SHA-256 ("AutoV2": 10 hex for checkpoints and VAEs, 12 for textual inversion), the legacy 8-hex
// `model_hash` (64 KiB at 1 MiB), and the LoRA "addnet" hash (SHA-256 of a safetensors file after its header; 12 hex).
// One streamed pass computes the full and addnet hashes together; results are cached on disk by path + size + mtime so
// they survive restarts.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from './formats/atomicFile';
import { WeightsError } from './formats/tensorRecord';

export interface FileHashes {
  path: string;
  size: number;
  /** Full-file SHA-256, hex. */
  sha256: string;
  /** A1111 "Model hash" / "VAE hash": sha256[0:10]. */
  autoV2: string;
  /** A1111's legacy `model_hash`: 8 hex of the 64 KiB at 1 MiB ("NOFILE" never: the file exists here). */
  legacy: string;
  /** SHA-256 after the safetensors header (safetensors files only). */
  addnet?: string;
  /** A1111 "Lora hashes" value: metadata `sshs_model_hash`, else addnet, else sha256; 12 hex. */
  lora: string;
  /** A1111 "TI hashes" value: sha256[0:12]. */
  ti: string;
}

export interface HashOptions {
  signal?: AbortSignal;
  /** Bytes hashed so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** The on-disk cache to use; `false` turns caching off. Default: the shared cache in defaultCacheDir(). */
  cache?: HashCache | false;
}

/** `${SD_STUDIO_CACHE_DIR}` or `${XDG_CACHE_HOME:-~/.cache}/sd-studio`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SD_STUDIO_CACHE_DIR) return env.SD_STUDIO_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sd-studio');
}

interface CacheEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
  /** null: hashed, not a safetensors file. */
  addnet: string | null;
}

/** `hashes.json`: absolute path → hashes, valid while the file's size and mtime are unchanged. */
export class HashCache {
  private entries: Record<string, CacheEntry> | undefined;
  private saving: Promise<void> = Promise.resolve();
  readonly file: string;

  constructor(dir: string = defaultCacheDir()) {
    this.file = join(dir, 'hashes.json');
  }

  private async load(): Promise<Record<string, CacheEntry>> {
    if (!this.entries) this.entries = await readEntries(this.file);
    return this.entries;
  }

  async get(path: string, size: number, mtimeMs: number): Promise<CacheEntry | undefined> {
    const e = (await this.load())[resolve(path)];
    return e && e.size === size && e.mtimeMs === mtimeMs ? e : undefined;
  }

  /** Records hashes and rewrites the file atomically (merging what other processes wrote meanwhile). */
  async set(path: string, entry: CacheEntry): Promise<void> {
    const key = resolve(path);
    (await this.load())[key] = entry;
    this.saving = this.saving.then(async () => {
      try {
        const onDisk = await readEntries(this.file);
        onDisk[key] = entry;
        this.entries = { ...onDisk, ...this.entries };
        await mkdir(dirname(this.file), { recursive: true });
        await writeFileAtomic(this.file, JSON.stringify({ version: 1, entries: this.entries }));
      } catch {
        // A cache that cannot be written only costs a re-hash later.
      }
    });
    await this.saving;
  }
}

async function readEntries(file: string): Promise<Record<string, CacheEntry>> {
  try {
    const json = JSON.parse(await readFile(file, 'utf8')) as { version?: number; entries?: Record<string, CacheEntry> };
    return json.version === 1 && json.entries && typeof json.entries === 'object' ? json.entries : {};
  } catch {
    return {};
  }
}

/** The cache to use: the caller's, none (`false`), or the cache file in defaultCacheDir() (read when used). */
const cacheFor = (opt: HashCache | false | undefined): HashCache | undefined => (opt === false ? undefined : (opt ?? new HashCache()));

/** All of a file's hashes; reads the whole file once unless the cache holds it. */
export async function hashFile(path: string, opts: HashOptions = {}): Promise<FileHashes> {
  const st = await stat(path);
  // `/dev/zero` would hash forever and a FIFO block: only regular files have hashes.
  if (!st.isFile()) throw new WeightsError(path, `not a regular file (${st.isDirectory() ? 'a folder' : 'a device, pipe or socket'}): only files can be hashed`);
  const cache = cacheFor(opts.cache);
  let entry = await cache?.get(path, st.size, st.mtimeMs);
  if (!entry) {
    entry = { size: st.size, mtimeMs: st.mtimeMs, ...(await streamHashes(path, st.size, opts)) };
    await cache?.set(path, entry);
  }
  const sshs = entry.addnet ? await safetensorsMetadataValue(path, 'sshs_model_hash') : undefined;
  return {
    path,
    size: st.size,
    sha256: entry.sha256,
    autoV2: entry.sha256.slice(0, 10),
    legacy: await legacyModelHash(path),
    ...(entry.addnet ? { addnet: entry.addnet } : {}),
    lora: (sshs ?? entry.addnet ?? entry.sha256).slice(0, 12),
    ti: entry.sha256.slice(0, 12),
  };
}

/** Full SHA-256 (hex), cached. */
export const sha256Full = async (path: string, opts?: HashOptions): Promise<string> => (await hashFile(path, opts)).sha256;

/** A1111's short hash: the first 10 hex of the full SHA-256, cached. */
export const sha256Short = async (path: string, opts?: HashOptions): Promise<string> => (await sha256Full(path, opts)).slice(0, 10);

/** Records hashes computed elsewhere (a merge hashes its output while writing it). */
export async function recordHashes(path: string, sha256: string, addnet: string | null, cache?: HashCache | false): Promise<void> {
  const st = await stat(path);
  await cacheFor(cache)?.set(path, { size: st.size, mtimeMs: st.mtimeMs, sha256, addnet });
}

/** A1111 `model_hash`: sha256 of 64 KiB read at 1 MiB (whatever exists there), 8 hex; "NOFILE" if missing. */
export async function legacyModelHash(path: string): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return 'NOFILE';
  }
  try {
    const buf = new Uint8Array(0x10000);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, 0x100000 + n);
      if (bytesRead === 0 || (n += bytesRead) === buf.length) break;
    }
    return createHash('sha256').update(buf.subarray(0, n)).digest('hex').slice(0, 8);
  } finally {
    await fh.close();
  }
}

const BLOCK = 8 << 20;

/** One pass: the full hash, and (when the file looks like safetensors) the hash of the bytes after the header. */
async function streamHashes(path: string, size: number, opts: HashOptions): Promise<{ sha256: string; addnet: string | null }> {
  const fh = await open(path, 'r');
  try {
    const full = createHash('sha256');
    const buf = new Uint8Array(BLOCK);
    const skip = await safetensorsHeaderEnd(fh, size);
    const addnet = skip === undefined ? undefined : createHash('sha256');
    let pos = 0;
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
      const { bytesRead } = await fh.read(buf, 0, BLOCK, pos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      full.update(chunk);
      if (addnet && pos + bytesRead > skip!) addnet.update(chunk.subarray(Math.max(0, skip! - pos)));
      pos += bytesRead;
      opts.onProgress?.(pos, size);
    }
    return { sha256: full.digest('hex'), addnet: addnet ? addnet.digest('hex') : null };
  } finally {
    await fh.close();
  }
}

/** 8 + header length when the file starts like safetensors (length in bounds, JSON object next). */
async function safetensorsHeaderEnd(fh: import('node:fs/promises').FileHandle, size: number): Promise<number | undefined> {
  if (size < 9) return undefined;
  const head = new Uint8Array(9);
  await fh.read(head, 0, 9, 0);
  const n = new DataView(head.buffer).getBigUint64(0, true);
  return head[8] === 0x7b && n + 8n <= BigInt(size) ? Number(n) + 8 : undefined;
}

async function safetensorsMetadataValue(path: string, key: string): Promise<string | undefined> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    const end = await safetensorsHeaderEnd(fh, st.size);
    if (end === undefined || end > 100_000_008) return undefined;
    const buf = new Uint8Array(end - 8);
    await fh.read(buf, 0, buf.length, 8);
    const v = (JSON.parse(new TextDecoder().decode(buf)) as { __metadata__?: Record<string, unknown> }).__metadata__?.[key];
    return typeof v === 'string' && v ? v : undefined;
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}
