/**
 * LoRA and textual-inversion files under the `modelsRoot` setting (an A1111 models folder or an A1111 install),
 * scanned recursively as A1111 does and cached for a few seconds: completions ask on every keystroke.
 */
import { filesUnder } from '../../models/folderWalk';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { NetworkFile } from './env';

const LORA_EXT = new Set(['.safetensors', '.pt', '.ckpt']);
const EMBEDDING_EXT = new Set(['.safetensors', '.pt', '.bin', '.ckpt']);
const TTL_MS = 5000;
const MAX_FILES = 20_000;

/** Candidate folders for a root that is either `models/` itself or an A1111 install. */
export function networkFolders(root: string): { lora: string[]; embeddings: string[] } {
  if (!root) return { lora: [], embeddings: [] };
  const lora = [join(root, 'Lora'), join(root, 'LyCORIS'), join(root, 'models', 'Lora'), join(root, 'models', 'LyCORIS')];
  const embeddings = [join(root, 'embeddings'), join(root, 'models', 'embeddings')];
  if (basename(root) === 'models') embeddings.push(join(dirname(root), 'embeddings'));
  return { lora: lora.filter(isDir), embeddings: embeddings.filter(isDir) };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function scan(dirs: readonly string[], exts: ReadonlySet<string>): Map<string, NetworkFile> {
  const out = new Map<string, NetworkFile>();
  const walk = (dir: string): void => {
    for (const f of filesUnder(dir, exts, { skipHidden: true })) {
      if (out.size >= MAX_FILES) return;
      const name = basename(f.name, extname(f.name));
      if (!out.has(name.toLowerCase())) out.set(name.toLowerCase(), { name, path: f.path, size: f.size });
    }
  };
  for (const d of dirs) if (existsSync(d)) walk(d);
  return out;
}

export interface NetworkIndex {
  loraFolders: string[];
  embeddingFolders: string[];
  loras: Map<string, NetworkFile>;
  embeddings: Map<string, NetworkFile>;
}

let cached: { root: string; at: number; index: NetworkIndex } | undefined;

export function networkIndex(root: string, now = Date.now()): NetworkIndex {
  if (cached && cached.root === root && now - cached.at < TTL_MS) return cached.index;
  const folders = networkFolders(root);
  const index: NetworkIndex = {
    loraFolders: folders.lora,
    embeddingFolders: folders.embeddings,
    loras: scan(folders.lora, LORA_EXT),
    embeddings: scan(folders.embeddings, EMBEDDING_EXT),
  };
  cached = { root, at: now, index };
  return index;
}
