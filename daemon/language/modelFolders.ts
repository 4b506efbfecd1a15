/**
 * LoRA and textual-inversion files under the `modelsRoot` setting (an A1111 models folder or an A1111 install),
 * scanned recursively as A1111 does and cached for a few seconds: completions ask on every keystroke.
 */
import { basename, extname } from 'node:path';
import { modelFiles, modelFolders, type ModelKind } from '../../models/registry';
import type { NetworkFile } from './languageEnv';

const TTL_MS = 5000;
const MAX_FILES = 20_000;

/** Name (lower case) → file, the first of each name in A1111's search order; hidden files skipped. */
function scan(root: string, kind: ModelKind): Map<string, NetworkFile> {
  const out = new Map<string, NetworkFile>();
  for (const f of modelFiles(root, kind, { skipHidden: true })) {
    if (out.size >= MAX_FILES) break;
    const name = basename(f.name, extname(f.name));
    if (!out.has(name.toLowerCase())) out.set(name.toLowerCase(), { name, path: f.path, size: f.size });
  }
  return out;
}

export interface NetworkIndex {
  loraFolders: string[];
  embeddingFolders: string[];
  loras: Map<string, NetworkFile>;
  embeddings: Map<string, NetworkFile>;
}

/** The LoRA and embedding files under `root`, scanned now. */
export function networkIndex(root: string): NetworkIndex {
  return {
    loraFolders: modelFolders(root, 'lora'),
    embeddingFolders: modelFolders(root, 'embedding'),
    loras: scan(root, 'lora'),
    embeddings: scan(root, 'embedding'),
  };
}

/** The last scan, reused for a few seconds (owned by daemon/services.ts). */
export class NetworkIndexCache {
  private cached: { root: string; at: number; index: NetworkIndex } | undefined;

  get(root: string, now = Date.now()): NetworkIndex {
    if (this.cached && this.cached.root === root && now - this.cached.at < TTL_MS) return this.cached.index;
    const index = networkIndex(root);
    this.cached = { root, at: now, index };
    return index;
  }

  clear(): void {
    this.cached = undefined;
  }
}
