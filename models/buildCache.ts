// What SD Studio keeps in its cache folder (defaultCacheDir): checkpoint builds and their LoRA/VAE variants
// (onnx/), derived text encoders (surgery/), upscaler graphs (upscalers/), TAESD graphs (taesd/). One size limit
// for all of it, least recently used first out. Sizes count each file once however many hard links it has, and
// never count the links into the user's own files (`*.weights`: checkpoints, LoRAs, VAEs read in place), which
// cost no disk. Hashes and the tokenizer (small, cheap to keep) are not entries.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Written last into every build folder: a folder without it is unfinished. */
export const BUILD_STAMP = 'sd-studio-build.json';

export type CacheEntryKind = 'checkpoint' | 'variant' | 'text encoder' | 'upscaler' | 'taesd' | 'unfinished';

export interface CacheEntry {
  /** A folder, or the path prefix shared by an entry's files (surgery, upscalers). */
  path: string;
  kind: CacheEntryKind;
  /** What it was built from, for people. */
  title: string;
  /** Bytes only this entry holds (freed when it goes). */
  bytes: number;
  lastUsed: Date;
  files: string[];
}

export interface CacheListing {
  dir: string;
  entries: CacheEntry[];
  /** Every cached byte, each file once. */
  totalBytes: number;
}

const USER_LINK = /\.weights$/;

function filesUnder(p: string): string[] {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return [];
  if (!st.isDirectory()) return [p];
  return readdirSync(p).flatMap((n) => filesUnder(join(p, n)));
}

function stampTitle(dir: string): { title: string; kind: CacheEntryKind } {
  try {
    const s = JSON.parse(readFileSync(join(dir, BUILD_STAMP), 'utf8')) as { checkpoint?: string; base?: string; vae?: string; loras?: Array<{ name: string; te: number; unet: number }> };
    const extras = [...(s.loras ?? []).map((l) => `<lora:${l.name}:${l.te}${l.unet !== l.te ? `:${l.unet}` : ''}>`), ...(s.vae ? [`VAE ${basename(s.vae)}`] : [])];
    return { title: [basename(s.checkpoint ?? dir), ...extras].join(' + '), kind: s.base ? 'variant' : 'checkpoint' };
  } catch {
    return { title: basename(dir), kind: 'unfinished' };
  }
}

/** The temp folder (models/formats/atomicFile.ts: `.<name>.<pid>.<hex>.tmp`) of a build still running somewhere. */
function buildInProgress(name: string): boolean {
  const m = /\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
  if (!m) return false;
  try {
    process.kill(Number(m[1]), 0);
    return true;
  } catch {
    return false;
  }
}

/** Every entry, most recently used first. */
export function listCache(dir: string): CacheListing {
  const raw: Array<Omit<CacheEntry, 'bytes'>> = [];
  const onnx = join(dir, 'onnx');
  if (existsSync(onnx)) {
    for (const name of readdirSync(onnx)) {
      const p = join(onnx, name);
      if (buildInProgress(name)) continue;
      const stamp = statSync(join(p, BUILD_STAMP), { throwIfNoEntry: false });
      raw.push({ path: p, ...stampTitle(p), lastUsed: (stamp ?? statSync(p)).mtime, files: filesUnder(p) });
    }
  }
  // Flat folders: files sharing the name up to the first dot belong together (a source's graphs and infos).
  for (const [sub, kind] of [['surgery', 'text encoder'], ['upscalers', 'upscaler'], ['taesd', 'taesd']] as const) {
    const folder = join(dir, sub);
    if (!existsSync(folder)) continue;
    const groups = new Map<string, string[]>();
    for (const name of readdirSync(folder)) {
      const key = name.split('.')[0]!;
      groups.set(key, [...(groups.get(key) ?? []), ...filesUnder(join(folder, name))]);
    }
    for (const [key, files] of groups) {
      const lastUsed = new Date(Math.max(...files.map((f) => Math.max(statSync(f).mtimeMs, statSync(f).atimeMs)), 0));
      raw.push({ path: join(folder, key), kind, title: `${sub}/${key}`, lastUsed, files });
    }
  }
  // Each inode once; an inode shared by several entries is theirs together and only the last to go frees it.
  const owners = new Map<string, { size: number; entries: Set<number> }>();
  raw.forEach((e, i) => {
    for (const f of e.files) {
      if (USER_LINK.test(f)) continue;
      const st = statSync(f, { throwIfNoEntry: false, bigint: false });
      if (!st) continue;
      const id = `${st.dev}:${st.ino}`;
      const o = owners.get(id) ?? { size: st.size, entries: new Set<number>() };
      o.entries.add(i);
      owners.set(id, o);
    }
  });
  const own = raw.map(() => 0);
  let totalBytes = 0;
  for (const o of owners.values()) {
    totalBytes += o.size;
    if (o.entries.size === 1) own[[...o.entries][0]!]! += o.size;
  }
  const entries = raw.map((e, i) => ({ ...e, bytes: own[i]! })).sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
  return { dir, entries, totalBytes };
}

/** Marks a build folder as just used (its stamp's time is the LRU clock). */
export function touchEntry(path: string): void {
  const stamp = join(path, BUILD_STAMP);
  const now = new Date();
  try {
    utimesSync(existsSync(stamp) ? stamp : path, now, now);
  } catch {
    // a read-only cache: eviction order just stays older
  }
}

/**
 * Marks cached files (flat entries: derived text encoders, upscaler graphs) as just used: their access time is
 * the LRU clock (their modification time stays the build's).
 */
export function touchFiles(...paths: string[]): void {
  const now = new Date();
  for (const p of paths) {
    try {
      const st = statSync(p);
      utimesSync(p, now, st.mtime);
    } catch {
      // gone or read-only: nothing to mark
    }
  }
}

function removeEntry(e: CacheEntry): void {
  if (existsSync(e.path) && statSync(e.path).isDirectory()) rmSync(e.path, { recursive: true, force: true });
  else for (const f of e.files) rmSync(f, { force: true });
}

/**
 * Removes least recently used entries until the cache holds at most `limitBytes`; `keep` (folders in use, the
 * build just made) stay whatever their age. Returns what went.
 */
export function enforceCacheLimit(dir: string, limitBytes: number, keep: readonly string[] = []): CacheEntry[] {
  const removed: CacheEntry[] = [];
  for (;;) {
    const listing = listCache(dir);
    if (listing.totalBytes <= limitBytes) return removed;
    const victim = [...listing.entries].reverse().find((e) => !keep.some((k) => k === e.path || k.startsWith(`${e.path}/`)));
    if (!victim) return removed;
    removeEntry(victim);
    removed.push(victim);
  }
}

/** Removes every entry except `keep`; returns the bytes freed. */
export function clearCache(dir: string, keep: readonly string[] = []): { removed: CacheEntry[]; freedBytes: number } {
  const before = listCache(dir);
  const removed = before.entries.filter((e) => !keep.includes(e.path));
  for (const e of removed) removeEntry(e);
  return { removed, freedBytes: before.totalBytes - listCache(dir).totalBytes };
}
