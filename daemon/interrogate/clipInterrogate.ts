// Interrogate CLIP as A1111's InterrogateModels.interrogate does it: BLIP's caption, then for each term list the
// CLIP ranking rank(): the image features (normalised) against the list's text features (normalised), softmax of
// 100 · similarity, the top N; each match appended as ", term" (or ", (term:0.123)" with
// interrogate_return_ranks). Text features of a list are computed once per CLIP file and kept on disk.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../models/formats/atomicFile';
import type { ClipTextPart } from '../parts/interrogators';
import type { ClipTokenizer } from '../prompt/clipTokenizer';
import { throwIfAborted } from '../errors';
import { limitItems, type Category } from './termLists';

export interface RankedCategory {
  name: string;
  matches: Array<{ text: string; score: number }>;
}

export function normalizeRows(v: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < v.length / dim; r++) {
    let n = 0;
    for (let i = 0; i < dim; i++) n += v[r * dim + i]! ** 2;
    n = Math.sqrt(n);
    for (let i = 0; i < dim; i++) out[r * dim + i] = v[r * dim + i]! / n;
  }
  return out;
}

/** rank(): softmax(100 · image · textᵀ) over the list, the top `topn` (ties by list order). */
export function rankTexts(image: Float32Array, texts: Float32Array, items: readonly string[], topn: number): Array<{ text: string; score: number }> {
  const dim = image.length;
  const logits = items.map((_, r) => {
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += image[i]! * texts[r * dim + i]!;
    return 100 * dot;
  });
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  const order = exps.map((e, i) => ({ i, p: e / sum })).sort((a, b) => b.p - a.p || a.i - b.i);
  return order.slice(0, Math.min(topn, items.length)).map(({ i, p }) => ({ text: items[i]!, score: p }));
}

/** clip.tokenize(text, truncate=True) without the zero padding: [SOT] + BPE + [EOT], at most `context` ids. */
export function clipTokenize(tokenizer: ClipTokenizer, text: string, context: number): number[] {
  const ids = [tokenizer.bosId, ...tokenizer.encode(text), tokenizer.eosId];
  if (ids.length > context) {
    ids.length = context;
    ids[context - 1] = tokenizer.eosId;
  }
  return ids;
}

export interface TextFeatureSource {
  text: ClipTextPart;
  tokenizer: ClipTokenizer;
  /** Identifies the CLIP weights (their SHA-256) for the disk cache. */
  modelId: string;
  cacheDir: string;
  signal?: AbortSignal;
  report?: (done: number, total: number) => void;
}

const BATCH = 32;

/** Normalised text features of `items` ([N × E]), from the disk cache or computed in length-sorted batches. */
export async function textFeatures(items: readonly string[], s: TextFeatureSource): Promise<Float32Array> {
  const E = s.text.embedDim;
  const key = createHash('sha256').update(`${s.modelId}\n${items.join('\n')}`).digest('hex').slice(0, 24);
  const file = join(s.cacheDir, `${key}.f32`);
  if (existsSync(file)) {
    const b = readFileSync(file);
    if (b.length === items.length * E * 4) return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  }
  const rows = items.map((t) => clipTokenize(s.tokenizer, t, s.text.context));
  const order = rows.map((_, i) => i).sort((a, b) => rows[a]!.length - rows[b]!.length);
  const out = new Float32Array(items.length * E);
  for (let k = 0; k < order.length; k += BATCH) {
    throwIfAborted(s.signal);
    const idx = order.slice(k, k + BATCH);
    const feats = normalizeRows(await s.text.embed(idx.map((i) => rows[i]!)), E);
    idx.forEach((i, j) => out.set(feats.subarray(j * E, (j + 1) * E), i * E));
    s.report?.(Math.min(k + BATCH, order.length), order.length);
  }
  mkdirSync(s.cacheDir, { recursive: true });
  await writeFileAtomic(file, new Uint8Array(out.buffer));
  return out;
}

/** Every category ranked against the (normalised) image features. */
export async function rankCategories(image: Float32Array, categories: readonly Category[], dictLimit: number, s: TextFeatureSource): Promise<RankedCategory[]> {
  const out: RankedCategory[] = [];
  for (const c of categories) {
    const items = limitItems(c.items, dictLimit);
    if (items.length === 0) {
      out.push({ name: c.name, matches: [] });
      continue;
    }
    out.push({ name: c.name, matches: rankTexts(image, await textFeatures(items, s), items, c.topn) });
  }
  return out;
}

/** A1111's result text: caption + ", match" per match (", (match:0.123)" with ranks). */
export function interrogateText(caption: string, ranked: readonly RankedCategory[], returnRanks: boolean): string {
  let res = caption;
  for (const c of ranked) for (const m of c.matches) res += returnRanks ? `, (${m.text}:${m.score.toFixed(3)})` : `, ${m.text}`;
  return res;
}
