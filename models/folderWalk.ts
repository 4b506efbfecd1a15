import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

export interface WalkedFile {
  path: string;
  /** File name with its extension. */
  name: string;
  size: number;
}

/**
 * Files under `dir` (sub-folders too) whose extension is in `extensions`, in A1111's order: sorted names, a
 * folder's files before its sub-folders (`sorted(os.walk(...))`). Unreadable entries are skipped: model folders
 * are the user's, and one broken link must not hide the rest. Lazy, so a search can stop at the first match.
 */
export function* filesUnder(dir: string, extensions: ReadonlySet<string> | readonly string[], opts: { maxDepth?: number; skipHidden?: boolean } = {}): Generator<WalkedFile> {
  const exts = extensions instanceof Set ? extensions : new Set(extensions as readonly string[]);
  const maxDepth = opts.maxDepth ?? 8;
  function* walk(d: string, depth: number): Generator<WalkedFile> {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    const dirs: string[] = [];
    for (const n of names) {
      if (opts.skipHidden && n.startsWith('.')) continue;
      const p = join(d, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) dirs.push(p);
      else if (exts.has(extname(n).toLowerCase())) yield { path: p, name: n, size: st.size };
    }
    if (depth < maxDepth) for (const sub of dirs) yield* walk(sub, depth + 1);
  }
  yield* walk(dir, 0);
}
