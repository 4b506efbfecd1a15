// A checkpoint in the user's A1111 models root found by what an infotext says of it: "Model" (the file name
// without extension, A1111 `CheckpointInfo.name_for_extra`) and "Model hash" (10 hex AutoV2, or the 8 hex
// legacy hash of old infotexts; A1111 `sd_models.get_closet_checkpoint_match` matches titles and both hashes).
// Diffusers ONNX folders in Stable-diffusion/ are candidates too, by folder name. (To move into the models
// registry, which owns the A1111 folder layout.)
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { filesUnder } from './folderWalk';
import { hashFile, legacyModelHash, type HashCache } from './hash';

const CHECKPOINT_EXTS = ['.safetensors', '.ckpt'];

/** Where A1111 keeps checkpoints: `<root>/Stable-diffusion` (a models folder) or `<root>/models/Stable-diffusion` (an install). */
export const checkpointFolders = (root: string): string[] =>
  root ? [join(root, 'Stable-diffusion'), join(root, 'models', 'Stable-diffusion')].filter((d) => existsSync(d)) : [];

export interface CheckpointMatch {
  path: string;
  /** How it was recognised: the hash (the same weights) or only the name. */
  by: 'hash' | 'name';
}

function candidates(root: string): Array<{ path: string; title: string }> {
  const out: Array<{ path: string; title: string }> = [];
  for (const dir of checkpointFolders(root)) {
    for (const f of filesUnder(dir, CHECKPOINT_EXTS, { skipHidden: true })) out.push({ path: f.path, title: relative(dir, f.path).slice(0, -extname(f.name).length) });
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (existsSync(join(p, 'model_index.json')) && statSync(p).isDirectory()) out.push({ path: p, title: name });
    }
  }
  return out;
}

/**
 * The checkpoint an infotext names, or undefined. A hash match wins (those are the weights that made the
 * image); a name alone is used when no file has the hash (or the infotext gives none). Hashes not in the hash
 * cache yet are computed (a full read per file, once).
 */
export async function findCheckpoint(root: string, want: { name?: string; hash?: string }, opts: { hashCache?: HashCache | false; signal?: AbortSignal } = {}): Promise<CheckpointMatch | undefined> {
  const all = candidates(root);
  const name = want.name?.trim();
  const byName = name ? all.filter((c) => c.title === name || basename(c.title) === name || basename(c.title).toLowerCase() === name.toLowerCase()) : [];
  const hash = want.hash?.trim().toLowerCase();
  if (hash && /^[0-9a-f]{8,64}$/.test(hash)) {
    // The named files first: usually the one, and then only one file is read.
    for (const c of [...byName, ...all.filter((x) => !byName.includes(x))]) {
      if (opts.signal?.aborted) break;
      if (!statSync(c.path).isFile()) continue;
      const h: string = hash.length === 8 ? await legacyModelHash(c.path) : (await hashFile(c.path, { cache: opts.hashCache, signal: opts.signal })).sha256;
      if (h.toLowerCase().startsWith(hash)) return { path: c.path, by: 'hash' };
    }
  }
  return byName[0] ? { path: byName[0].path, by: 'name' } : undefined;
}
