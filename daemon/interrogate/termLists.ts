// Interrogate CLIP's term lists as A1111's InterrogateModels.categories() reads them: every `*.txt` in the install's
// `interrogate/` folder in directory order (Path.glob, unsorted), a stem ending `.topN` ranking N matches (else 1),
// stems listed in interrogate_clip_skip_categories left out, each line stripped (blank lines stay). Without that
// folder A1111 downloads clip-interrogator's lists; SD Studio uses its own lists instead (builtinTerms.ts).
import { opendirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { BUILTIN_TERM_LISTS } from './builtinTerms';

export interface Category {
  /** The file stem (`artists`, `flavors.top3`). */
  name: string;
  topn: number;
  items: string[];
}

const TOPN = /\.top(\d+)$/;

/** `readdir` order (what Python's glob sees), not the sorted order Node's readdirSync gives. */
function directoryOrder(dir: string): string[] {
  const d = opendirSync(dir);
  const names: string[] = [];
  try {
    for (let e = d.readSync(); e; e = d.readSync()) if (e.isFile() || e.isSymbolicLink()) names.push(e.name);
  } finally {
    d.closeSync();
  }
  return names;
}

function category(name: string, items: string[]): Category {
  const m = TOPN.exec(name);
  return { name, topn: m ? Number(m[1]) : 1, items };
}

/** The categories A1111 would rank: the user's folder when given, else SD Studio's lists. */
export function loadCategories(dir: string | undefined, skip: readonly string[]): Category[] {
  const skipped = new Set(skip);
  if (!dir) return BUILTIN_TERM_LISTS.filter((l) => !skipped.has(l.name)).map((l) => category(l.name, [...l.items]));
  const out: Category[] = [];
  for (const file of directoryOrder(dir)) {
    if (extname(file) !== '.txt') continue;
    const stem = file.slice(0, -4);
    if (skipped.has(stem)) continue;
    const text = readFileSync(join(dir, file), 'utf8');
    const lines = text === '' ? [] : text.split(/(?<=\n)/).map((l) => l.trim());
    out.push(category(stem, lines));
  }
  return out;
}

/** interrogate_clip_dict_limit: the first N lines of a list (0 = all). */
export function limitItems(items: readonly string[], dictLimit: number): string[] {
  return dictLimit > 0 ? items.slice(0, Math.trunc(dictLimit)) : [...items];
}

/** The category names a folder (or the built-in lists) offers, for the skip-categories setting. */
export function categoryNames(dir: string | undefined): string[] {
  return loadCategories(dir, []).map((c) => c.name);
}
