// Textual-inversion embeddings as A1111 finds and reads them (`modules/textual_inversion/textual_inversion.py:
// EmbeddingDatabase.load_from_dir / load_from_file / create_embedding_from_data`): `.pt`, `.bin` and
// `.safetensors` files under `<modelsRoot>/embeddings/`, walked recursively in sorted order, named by file name
// without extension (a later file of the same name wins). Files are read through the safe weights readers; only
// headers at scan time, vectors on first use.
import { statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { filesUnder } from '../../models/folderWalk';
import { openWeights } from '../../models/formats/open';
import { readTensor, type TensorRecord } from '../../models/formats/tensorRecord';
import { hashFile } from '../../models/hash';
import { MODEL_KINDS, modelFolders } from '../../models/registry';

/** The halves of an SDXL embedding file: CLIP-L's and CLIP-G's vectors (A1111 `textual_inversion_key`). */
export type EmbeddingTerm = 'clip_l' | 'clip_g';

export interface EmbeddingInfo {
  name: string;
  path: string;
  /** One or two candidate tensors (SDXL files carry clip_l and clip_g); each [vectors, width]. */
  terms: { key: string; vectors: number; width: number; record: TensorRecord }[];
}

/** A file that is not an embedding A1111 would load; the scan lists these instead of failing. */
export interface EmbeddingProblem {
  path: string;
  problem: string;
}

function walk(dir: string): string[] {
  return [...filesUnder(dir, MODEL_KINDS.embedding.extensions)].map((f) => f.path);
}

/** Reads one embedding file's header: which tensor holds the vectors, and its shape. */
export async function readEmbeddingFile(path: string): Promise<EmbeddingInfo> {
  const name = basename(path, extname(path));
  const w = await openWeights(path);
  const tensors = w.tensors;
  const term = (key: string, r: TensorRecord): EmbeddingInfo['terms'][number] => {
    if (r.shape.length === 1) return { key, vectors: 1, width: r.shape[0]!, record: r };
    if (r.shape.length === 2) return { key, vectors: r.shape[0]!, width: r.shape[1]!, record: r };
    throw new Error(`${path}: embedding tensor "${r.name}" has shape [${r.shape.join(', ')}], expected [vectors, width]`);
  };
  // A1111 .pt: {'string_to_param': {'*': tensor}, 'string_to_token': ..., 'name': ..., 'step': ...}
  const stp = tensors.filter((t) => t.name.startsWith('string_to_param/'));
  if (stp.length > 0) {
    if (stp.length !== 1) throw new Error(`${path}: string_to_param holds ${stp.length} terms; A1111 loads only single-term embeddings`);
    return { name, path, terms: [term('*', stp[0]!)] };
  }
  const l = tensors.find((t) => t.name === 'clip_l');
  const g = tensors.find((t) => t.name === 'clip_g');
  if (l && g) return { name, path, terms: [term('clip_l', l), term('clip_g', g)] };
  const emb = tensors.find((t) => t.name === 'emb_params');
  if (emb) return { name, path, terms: [term('emb_params', emb)] };
  // diffusers: {'<token>': tensor}
  if (tensors.length === 1) return { name, path, terms: [term(tensors[0]!.name, tensors[0]!)] };
  throw new Error(
    tensors.length === 0
      ? `${path}: no tensors: neither a textual-inversion embedding nor a diffusers concept`
      : `${path}: ${tensors.length} tensors (${tensors.slice(0, 4).map((t) => t.name).join(', ')}…): an embedding file has one term`,
  );
}

/** The embeddings of one folder set; rescanned when a top folder's mtime changes (as A1111 does). */
export class EmbeddingDatabase {
  private stamp = '';
  private byName = new Map<string, EmbeddingInfo>();
  private scanning: Promise<void> | undefined;
  readonly problems: EmbeddingProblem[] = [];
  private readonly vectorCache = new Map<string, Promise<Float32Array>>();
  private readonly hashCache = new Map<string, Promise<string>>();

  constructor(readonly dirs: readonly string[]) {}

  private currentStamp(): string {
    return this.dirs.map((d) => {
      try {
        return `${d}:${statSync(d).mtimeMs}`;
      } catch {
        return `${d}:-`;
      }
    }).join('|');
  }

  /** Rescan if the folders changed; cheap otherwise. */
  async refresh(): Promise<void> {
    const stamp = this.currentStamp();
    if (stamp === this.stamp && !this.scanning) return;
    if (!this.scanning) {
      this.scanning = this.scan(stamp).finally(() => (this.scanning = undefined));
    }
    await this.scanning;
  }

  private async scan(stamp: string): Promise<void> {
    const next = new Map<string, EmbeddingInfo>();
    const problems: EmbeddingProblem[] = [];
    for (const dir of this.dirs) {
      for (const file of walk(dir)) {
        try {
          const e = await readEmbeddingFile(file);
          next.set(e.name, e);
        } catch (err) {
          problems.push({ path: file, problem: (err as Error).message });
        }
      }
    }
    this.byName = next;
    this.problems.splice(0, this.problems.length, ...problems);
    this.vectorCache.clear();
    this.hashCache.clear();
    this.stamp = stamp;
  }

  async list(): Promise<EmbeddingInfo[]> {
    await this.refresh();
    return [...this.byName.values()];
  }

  /**
   * Name → vector count for the embeddings a model of conditioning width `width` accepts (A1111 "skips" the
   * others: they are not matched in prompts). An SDXL file's shape is its two halves together
   * (`clip_l` + `clip_g` = 2048, as A1111's `create_embedding_from_data` computes it), so it fits SDXL only.
   * Without a width, every embedding (its first term).
   */
  async vectorCounts(width?: number): Promise<Map<string, number>> {
    await this.refresh();
    const out = new Map<string, number>();
    for (const e of this.byName.values()) {
      const t = width === undefined ? e.terms[0] : termFor(e, width);
      if (t) out.set(e.name, t.vectors);
    }
    return out;
  }

  /**
   * The vectors of `name` for a model of width `width`, [vectors × w] float32; `term` picks CLIP-L's or CLIP-G's
   * half of an SDXL file (each SDXL encoder gets its own).
   */
  vectors(name: string, width: number, term?: EmbeddingTerm): Promise<Float32Array> {
    const key = `${name}|${width}|${term ?? ''}`;
    let v = this.vectorCache.get(key);
    if (!v) {
      const e = this.byName.get(name);
      const t = e && (term && isSdxlPair(e) ? e.terms.find((x) => x.key === term) : termFor(e, width));
      if (!e || !t) return Promise.reject(new Error(`embedding "${name}" of width ${width}${term ? ` (${term})` : ''} is not loaded`));
      v = readTensor(t.record, 'F32') as Promise<Float32Array>;
      this.vectorCache.set(key, v);
      v.catch(() => this.vectorCache.delete(key));
    }
    return v;
  }

  /** A1111's TI hash: the file's SHA-256, first 12 hex (cached by path + size + mtime). */
  hash(name: string): Promise<string> {
    const e = this.byName.get(name);
    if (!e) return Promise.reject(new Error(`embedding "${name}" is not loaded`));
    let h = this.hashCache.get(e.path);
    if (!h) {
      h = hashFile(e.path).then((x) => x.ti);
      this.hashCache.set(e.path, h);
      h.catch(() => this.hashCache.delete(e.path));
    }
    return h;
  }
}

const isSdxlPair = (e: EmbeddingInfo): boolean => e.terms.length === 2 && e.terms.some((t) => t.key === 'clip_l') && e.terms.some((t) => t.key === 'clip_g');

/** The term a model of `width` reads: an SDXL pair as a whole (its first term stands for the vector count), else the term of that width. */
function termFor(e: EmbeddingInfo, width: number): EmbeddingInfo['terms'][number] | undefined {
  if (isSdxlPair(e)) return e.terms[0]!.width + e.terms[1]!.width === width ? e.terms[0] : undefined;
  return e.terms.find((x) => x.width === width);
}

/** One database per embeddings folder set, shared by generation and the prompt inspector (daemon/services.ts). */
export class EmbeddingDatabases {
  private readonly databases = new Map<string, EmbeddingDatabase>();

  /** The database for a models root (null when it has no embeddings folder). */
  forRoot(modelsRoot: string): EmbeddingDatabase | null {
    const dirs = modelFolders(modelsRoot, 'embedding');
    if (dirs.length === 0) return null;
    const key = dirs.join('|');
    let db = this.databases.get(key);
    if (!db) this.databases.set(key, (db = new EmbeddingDatabase(dirs)));
    return db;
  }

  clear(): void {
    this.databases.clear();
  }
}
