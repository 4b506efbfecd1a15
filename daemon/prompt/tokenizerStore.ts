// The daemon's one cache of CLIP tokenizers, by folder (owned by daemon/services.ts). Loading one takes ~150 ms and
// the prompt inspector, the language server and the loaded model all ask for the same folder, so it is read once
// and again only when its vocab.json / merges.txt change on disk. A folder that fails to load is remembered too
// (until its files change), so a broken tokenizer costs one read, not one per keystroke.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ClipTokenizer } from './clipTokenizer';

type Entry = { stamp: string; tokenizer: ClipTokenizer } | { stamp: string; error: Error };

export class TokenizerStore {
  private readonly entries = new Map<string, Entry>();

  /** The tokenizer of `dir` (vocab.json + merges.txt); throws the load error. */
  get(dir: string): ClipTokenizer {
    const stamp = stampOf(dir);
    let e = this.entries.get(dir);
    if (!e || e.stamp !== stamp) {
      try {
        e = { stamp, tokenizer: ClipTokenizer.fromDir(dir) };
      } catch (err) {
        e = { stamp, error: err instanceof Error ? err : new Error(String(err)) };
      }
      this.entries.set(dir, e);
    }
    if ('error' in e) throw e.error;
    return e.tokenizer;
  }

  /** The tokenizer of `dir`, or null when it cannot be loaded (callers that can go on without one). */
  tryGet(dir: string): ClipTokenizer | null {
    try {
      return this.get(dir);
    } catch {
      return null;
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Sizes and mtimes of the two files: a change reloads. */
function stampOf(dir: string): string {
  return ['vocab.json', 'merges.txt'].map((f) => {
    try {
      const st = statSync(join(dir, f));
      return `${st.size}:${st.mtimeMs}`;
    } catch {
      return '-';
    }
  }).join('|');
}
