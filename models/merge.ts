// A1111's Checkpoint Merger (`modules/extras.py: run_modelmerger`, reference §7.1), streamed: the output's key
// set, dtypes and shapes are planned from the headers alone, the safetensors header is written first, then the
// output is produced in fixed-size chunks through a pipeline (see streamMerge): reads run ahead, fp16 tensors
// are merged by a WebAssembly SIMD kernel (models/mergeKernels/f16.ts), writes and hashing (two worker threads)
// run behind. Peak memory is the pipeline's slots (~100 MB) plus, for tensors not on the fp16 fast path, a few
// times the largest such tensor — never the model.
import { basename, extname, resolve } from 'node:path';
import { open, type FileHandle } from 'node:fs/promises';
import { type TensorSpec } from './formats/safetensors';
import { openWeights, stateDict } from './formats/open';
import {
  DTYPE_SIZE, TensorReader, WeightsError, asBytes, byteLength, contiguousStrides, convert, isFloat, view, type DType, type TensorRecord,
} from './formats/tensorRecord';
import { hashFile, recordHashes, type FileHashes, type HashCache } from './hash';
import { createF16Kernels, f16MergeScalar, type F16Kernels, type F16Op } from './mergeKernels/f16';
import { OutputFile, OutputHasher } from './mergeKernels/output';

export type MergeMethod = 'no-interpolation' | 'weighted-sum' | 'add-difference';

/** The names A1111 shows and writes into `sd_merge_recipe`. */
export const METHOD_NAMES: Readonly<Record<MergeMethod, string>> = {
  'no-interpolation': 'No interpolation',
  'weighted-sum': 'Weighted sum',
  'add-difference': 'Add difference',
};

export interface MergeOptions {
  primary: string;
  secondary?: string;
  tertiary?: string;
  method: MergeMethod;
  /** M: always multiplies the B side. */
  multiplier: number;
  /** A1111 "Save as float16". */
  saveAsHalf?: boolean;
  /** A VAE file whose tensors replace `first_stage_model.*`. */
  bakeVae?: string;
  /** A1111 "Discard weights with matching name" (a JS regex, searched like Python's re.search). */
  discard?: string;
  /** Output path; must end in .safetensors. */
  out: string;
  customName?: string;
  /** A1111 "Save metadata" / "Add merge recipe metadata" / "Copy metadata from merged models" (all default on). */
  saveMetadata?: boolean;
  addRecipe?: boolean;
  copyMetadata?: boolean;
  /** The JSON editor's contents. */
  extraMetadata?: Record<string, string>;
  signal?: AbortSignal;
  onProgress?: (p: MergeProgress) => void;
  hashCache?: HashCache | false;
}

export interface MergeProgress {
  stage: 'hashing' | 'merging';
  /** Bytes done / total of the stage. */
  done: number;
  total: number;
  /** While merging: tensors written so far, of `tensors`. */
  tensor?: number;
  tensors?: number;
  message: string;
}

export interface MergeResult {
  out: string;
  tensors: number;
  bytes: number;
  sha256: string;
  shortHash: string;
  isInpainting: boolean;
  isInstructPix2Pix: boolean;
  metadata: Record<string, string>;
}

/** `cond_stage_model.transformer.text_model.embeddings.position_ids`: never merged (A1111 skip list). */
const SKIP_ON_MERGE = new Set(['cond_stage_model.transformer.text_model.embeddings.position_ids']);

/** One output tensor: where its values come from and what it becomes. */
interface Planned extends TensorSpec {
  a: TensorRecord;
  kernel: MergeKernel;
}

export class MergeError extends Error {
  override name = 'MergeError';
}

export async function mergeCheckpoints(o: MergeOptions): Promise<MergeResult> {
  const needB = o.method !== 'no-interpolation';
  const needC = o.method === 'add-difference';
  if (!o.primary) throw new MergeError('merging requires a primary model');
  if (needB && !o.secondary) throw new MergeError('merging requires a secondary model');
  if (needC && !o.tertiary) throw new MergeError(`interpolation method (${METHOD_NAMES[o.method]}) requires a tertiary model`);
  if (!Number.isFinite(o.multiplier)) throw new MergeError(`multiplier ${o.multiplier} is not a number`);
  if (extname(o.out).toLowerCase() !== '.safetensors') throw new MergeError(`${o.out}: output must be a .safetensors file`);
  const inputs = [o.primary, needB && o.secondary, needC && o.tertiary, o.bakeVae].filter((p): p is string => !!p);
  if (inputs.some((p) => resolve(p) === resolve(o.out))) throw new MergeError(`${o.out}: output would overwrite an input`);
  let discard: RegExp | undefined;
  try {
    discard = o.discard ? new RegExp(o.discard) : undefined;
  } catch (e) {
    throw new MergeError(`discard: bad regular expression '${o.discard}': ${(e as Error).message}`);
  }

  const A = await loadStateDict(o.primary);
  const B = needB ? await loadStateDict(o.secondary!) : undefined;
  const C = needC ? await loadStateDict(o.tertiary!) : undefined;
  const vae = o.bakeVae ? vaeDict(await loadStateDict(o.bakeVae)) : undefined;

  const flags = { inpainting: false, pix2pix: false };
  const plan: Planned[] = [];
  for (const [key, a] of A.dict) {
    if (discard?.test(key)) continue;
    plan.push(planKey(key, a, o, B?.dict, C?.dict, vae, flags));
  }

  const saveMetadata = o.saveMetadata ?? true;
  const metadata: Record<string, string> = {};
  if (saveMetadata) {
    if (o.copyMetadata ?? true) for (const s of [A, B, C]) if (s) Object.assign(metadata, s.metadata);
    Object.assign(metadata, o.extraMetadata ?? {});
    metadata.format = 'pt';
    if (o.addRecipe ?? true) Object.assign(metadata, await recipe(o, [A, B, C], flags));
  }

  const total = plan.reduce((s, p) => s + byteLength(p), 0);
  const out = await OutputFile.create(o.out, plan.map(({ name, dtype, shape }) => ({ name, dtype, shape })), metadata);
  const io = new Sources();
  // Small outputs get small chunks (a test merge needs no 100 MB of slots).
  const chunkBytes = Math.min(MERGE_TUNING.chunkBytes, Math.max(16, Math.ceil(total / 16) * 16));
  const mem = createF16Kernels(MERGE_TUNING.slots * 4 * chunkBytes, { simd: MERGE_TUNING.simd });
  const hasher = new OutputHasher(mem.bytes, out.header, total >= MERGE_TUNING.hashThreadsFrom, MERGE_TUNING.hashAddnet);
  try {
    await streamMerge(plan, out, io, mem, hasher, chunkBytes, total, o);
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('cancelled');
    const hashes = await hasher.digest();
    await out.commit();
    // Without the addnet hash the cache entry would be incomplete: the file is hashed again when next asked for.
    if (hashes.addnet) await recordHashes(o.out, hashes.sha256, hashes.addnet, o.hashCache);
    return {
      out: o.out, tensors: plan.length, bytes: total, sha256: hashes.sha256, shortHash: hashes.sha256.slice(0, 10),
      isInpainting: flags.inpainting, isInstructPix2Pix: flags.pix2pix, metadata,
    };
  } catch (e) {
    await out.abort();
    throw e;
  } finally {
    await hasher.close();
    await io.close();
  }
}

/** Pipeline sizes (tests shrink them to exercise chunking; the bench may compare settings). */
export const MERGE_TUNING = {
  /** Output bytes per chunk; a slot holds the chunk's output and up to three inputs of the same size. */
  chunkBytes: 4 << 20,
  /** Chunks in flight: being read, merged, written and hashed. Memory = slots × 4 × chunkBytes. */
  slots: 6,
  /** Outputs at least this large are hashed on two worker threads. */
  hashThreadsFrom: 64 << 20,
  /** false: the scalar JS kernel (for comparison). */
  simd: true,
  /**
   * Also hash the output's data block (the addnet/LoRA hash), so the hash cache gets a complete entry for the
   * new file. false saves one SHA-256 pass (~1.2 CPU-s per 2 GB); the file is then hashed in full when next used.
   */
  hashAddnet: true,
};

// ---------------------------------------------------------------------------------------------------------
// Streaming: the output is cut into chunks of at most `chunkBytes`, each processed in a slot of a shared memory:
// sources are read straight into the slot (large positional reads), merged in place by the fp16 kernel (or, for
// other dtypes, the whole tensor is merged by the generic path and copied in chunk by chunk), then written at
// its position and hashed by the workers; the slot is reused once both are done. Reads run `slots − 2` chunks
// ahead of the merge, so disk, arithmetic and hashing overlap; memory stays bounded by the slots (plus the
// largest tensor for tensors that take the generic path).

type ChunkKind = 'fused' | 'copy' | 'generic';

interface Chunk {
  p: Planned;
  index: number;
  kind: ChunkKind;
  /** Byte offset of the chunk in the tensor's output bytes, and its length. */
  start: number;
  len: number;
  /** File position of the chunk in the output. */
  pos: number;
  last: boolean;
}

/** Byte position of a contiguous record's first element, or undefined when it is a strided view. */
function contiguousStart(r: TensorRecord): number | undefined {
  const c = contiguousStrides(r.shape);
  if (!r.shape.every((d, i) => d === 1 || c[i] === r.strides[i])) return undefined;
  return r.offset + r.storageOffset * DTYPE_SIZE[r.dtype];
}

function kindOf(p: Planned): ChunkKind {
  const k = p.kernel;
  const srcs = k.sources.filter((r): r is TensorRecord => !!r);
  if (!srcs.every((r) => contiguousStart(r) !== undefined)) return 'generic';
  if (k.op === 'copy') return srcs[0]!.dtype === p.dtype ? 'copy' : 'generic';
  return p.dtype === 'F16' && !k.channels && srcs.every((r) => r.dtype === 'F16') ? 'fused' : 'generic';
}

function* chunksOf(plan: Planned[], dataStart: number, chunkBytes: number): Generator<Chunk> {
  let pos = dataStart;
  for (let index = 0; index < plan.length; index++) {
    const p = plan[index]!;
    const n = byteLength(p);
    const kind = kindOf(p);
    let start = 0;
    do {
      const len = Math.min(chunkBytes, n - start);
      yield { p, index, kind, start, len, pos: pos + start, last: start + len >= n };
      start += len;
    } while (start < n);
    pos += n;
  }
}

/** Source file handles (one per file) and the generic path's reader. */
class Sources {
  readonly reader = new TensorReader();
  private readonly handles = new Map<string, Promise<FileHandle>>();

  /** Reads `into.length` bytes of `file` at `position` into `into`; a short read means the file is truncated. */
  async readInto(file: string, position: number, into: Uint8Array): Promise<void> {
    let h = this.handles.get(file);
    if (!h) {
      h = open(file, 'r');
      this.handles.set(file, h);
      h.catch(() => this.handles.delete(file));
    }
    const fh = await h;
    let done = 0;
    while (done < into.length) {
      const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
      if (bytesRead === 0) throw new WeightsError(file, `truncated: expected ${into.length} bytes at offset ${position}, file ends after ${done}`);
      done += bytesRead;
    }
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all([this.reader.close(), ...all.map((p) => p.then((h) => h.close(), () => undefined))]);
  }
}

/** A fixed set of slot indices handed out in order of request. */
class SlotPool {
  private free: number[];
  private waiters: ((slot: number) => void)[] = [];
  constructor(n: number) {
    this.free = Array.from({ length: n }, (_, i) => i);
  }
  acquire(): Promise<number> {
    const s = this.free.pop();
    return s !== undefined ? Promise.resolve(s) : new Promise((res) => this.waiters.push(res));
  }
  release(slot: number): void {
    const w = this.waiters.shift();
    if (w) w(slot);
    else this.free.push(slot);
  }
}

async function streamMerge(
  plan: Planned[], out: OutputFile, io: Sources, mem: F16Kernels, hasher: OutputHasher, chunkBytes: number, total: number, o: MergeOptions,
): Promise<void> {
  const { slots } = MERGE_TUNING;
  const slotBytes = 4 * chunkBytes;
  const pool = new SlotPool(slots);
  const bytes = mem.bytes;
  /** Merged bytes of generic tensors, from their first chunk to their last. */
  const generic = new Map<number, Promise<Uint8Array>>();
  const loadGeneric = (c: Chunk) => {
    let g = generic.get(c.index);
    if (!g) {
      const srcs = c.p.kernel.sources;
      g = Promise.all(srcs.map((r) => (r ? io.reader.bytes(r) : Promise.resolve(null)))).then((data) => mergeTensor(c.p.kernel, data, c.p.dtype));
      generic.set(c.index, g);
    }
    return g;
  };

  /** Slot acquired and the chunk's inputs in it. */
  const prepare = async (c: Chunk): Promise<number> => {
    const slot = await pool.acquire();
    const base = slot * slotBytes;
    try {
      if (c.kind === 'generic') {
        await loadGeneric(c);
      } else if (c.kind === 'copy') {
        const r = c.p.kernel.sources[0]!;
        await io.readInto(r.file, contiguousStart(r)! + c.start, bytes.subarray(base, base + c.len));
      } else {
        await Promise.all(c.p.kernel.sources.map((r, k) =>
          r ? io.readInto(r.file, contiguousStart(r)! + c.start, bytes.subarray(base + (k + 1) * chunkBytes, base + (k + 1) * chunkBytes + c.len)) : undefined));
      }
    } catch (e) {
      pool.release(slot);
      throw e;
    }
    return slot;
  };

  const it = chunksOf(plan, out.dataStart, chunkBytes);
  const ahead: { c: Chunk; ready: Promise<number> }[] = [];
  const startNext = () => {
    const n = it.next();
    if (n.done) return;
    const ready = prepare(n.value);
    ready.catch(() => undefined); // reported when awaited
    ahead.push({ c: n.value, ready });
  };
  for (let i = 0; i < Math.max(1, slots - 2); i++) startNext();

  let failed: unknown;
  const inflight = new Set<Promise<void>>();
  let done = 0;
  try {
    while (ahead.length) {
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('cancelled');
      if (failed) throw failed;
      const { c, ready } = ahead.shift()!;
      const slot = await ready;
      startNext();
      const base = slot * slotBytes;
      if (c.kind === 'fused') {
        const k = c.p.kernel;
        const src = (i: number) => (k.sources[i] ? base + (i + 1) * chunkBytes : -1);
        mem.run(k.op as F16Op, k.m!, src(0), src(1), src(2), base, c.len / 2);
      } else if (c.kind === 'generic') {
        const merged = await loadGeneric(c);
        bytes.set(merged.subarray(c.start, c.start + c.len), base);
        if (c.last) generic.delete(c.index);
      }
      const chunk = bytes.subarray(base, base + c.len);
      const step = Promise.all([out.write(chunk, c.pos), hasher.update(base, c.len)]).then(
        () => pool.release(slot),
        (e) => {
          failed ??= e;
        },
      );
      inflight.add(step);
      void step.then(() => inflight.delete(step));
      done += c.len;
      const tensor = c.index + (c.last ? 1 : 0);
      o.onProgress?.({ stage: 'merging', done, total, tensor, tensors: plan.length, message: `${c.index + 1}/${plan.length} ${c.p.name}` });
    }
    await Promise.all(inflight);
    if (failed) throw failed;
  } finally {
    await Promise.allSettled([...inflight, ...ahead.map((a) => a.ready)]);
  }
}

interface LoadedDict {
  path: string;
  dict: Map<string, TensorRecord>;
  metadata: Record<string, string>;
}

/** A1111 `read_state_dict`: unwrap `state_dict`, rename SD1 CLIP keys (or SD2-Turbo SGM keys). */
export async function loadStateDict(path: string): Promise<LoadedDict> {
  const w = await openWeights(path);
  const raw = stateDict(w);
  const turbo = raw.get('conditioner.embedders.0.model.ln_final.weight')?.shape[0] === 1024;
  const renames: [string, string][] = turbo
    ? [['conditioner.embedders.0.', 'cond_stage_model.']]
    : [
        ['cond_stage_model.transformer.embeddings.', 'cond_stage_model.transformer.text_model.embeddings.'],
        ['cond_stage_model.transformer.encoder.', 'cond_stage_model.transformer.text_model.encoder.'],
        ['cond_stage_model.transformer.final_layer_norm.', 'cond_stage_model.transformer.text_model.final_layer_norm.'],
      ];
  const dict = new Map<string, TensorRecord>();
  for (const [k, r] of raw) {
    let key = k;
    for (const [from, to] of renames) if (key.startsWith(from)) key = to + key.slice(from.length);
    dict.set(key, r);
  }
  return { path, dict, metadata: w.metadata };
}

/** A1111 `load_vae_dict`: drop `loss*` and the EMA counters. */
function vaeDict(v: LoadedDict): Map<string, TensorRecord> {
  const out = new Map<string, TensorRecord>();
  for (const [k, r] of v.dict) if (!k.startsWith('loss') && k !== 'model_ema.decay' && k !== 'model_ema.num_updates') out.set(k, r);
  return out;
}

const half = (d: DType, on: boolean | undefined): DType => (on && d === 'F32' ? 'F16' : d);
const fmt = (s: number[]) => `[${s.join(', ')}]`;

function planKey(
  key: string,
  a: TensorRecord,
  o: MergeOptions,
  B: Map<string, TensorRecord> | undefined,
  C: Map<string, TensorRecord> | undefined,
  vae: Map<string, TensorRecord> | undefined,
  flags: { inpainting: boolean; pix2pix: boolean },
): Planned {
  const baked = key.startsWith('first_stage_model.') ? vae?.get(key.slice('first_stage_model.'.length)) : undefined;
  if (baked) {
    return { name: key, dtype: half(baked.dtype, o.saveAsHalf), shape: baked.shape, a: baked, kernel: { op: 'copy', sources: [baked] } };
  }
  const b = B && key.includes('model') && !SKIP_ON_MERGE.has(key) ? B.get(key) : undefined;
  if (!b) {
    // Kept from A. Only "No interpolation" halves unmerged keys (A1111 quirk: merges keep A-only keys fp32).
    const dtype = o.method === 'no-interpolation' ? half(a.dtype, o.saveAsHalf) : a.dtype;
    return { name: key, dtype, shape: a.shape, a, kernel: { op: 'copy', sources: [a] } };
  }
  // Add difference uses (B − C); where C lacks the key the difference is zero, so A passes through.
  const c = C?.get(key);
  if (c && !sameShape(b.shape, c.shape)) throw new MergeError(`cannot merge '${key}': B has shape ${fmt(b.shape)}, C has ${fmt(c.shape)}`);
  let channels: number | undefined;
  if (!sameShape(a.shape, b.shape)) {
    const rest = (s: number[]) => [s[0], ...s.slice(2)].join(',');
    if (a.shape.length !== 4 || b.shape.length !== 4 || rest(a.shape) !== rest(b.shape)) {
      throw new MergeError(`cannot merge '${key}': A has shape ${fmt(a.shape)}, B has ${fmt(b.shape)}`);
    }
    const [ca, cb] = [a.shape[1], b.shape[1]];
    if (ca === 4 && cb === 9) throw new MergeError('When merging inpainting model with a normal one, A must be the inpainting model.');
    if (ca === 4 && cb === 8) throw new MergeError('When merging instruct-pix2pix model with a normal one, A must be the instruct-pix2pix model.');
    if (ca === 8 && cb === 4) flags.pix2pix = true;
    else if (ca === 9 && cb === 4) flags.inpainting = true;
    else throw new MergeError(`Bad dimensions for merged layer ${key}: A=${fmt(a.shape)}, B=${fmt(b.shape)}`);
    channels = 4;
  }
  const dtype = half(promote(a.dtype, c ? promote(b.dtype, c.dtype) : b.dtype), o.saveAsHalf);
  if (!isFloat(dtype)) throw new MergeError(`cannot merge '${key}': dtype ${dtype}`);
  const op = o.method === 'weighted-sum' ? 'weighted-sum' : 'add-difference';
  return {
    name: key, dtype, shape: a.shape, a,
    kernel: { op, m: o.multiplier, sources: op === 'weighted-sum' ? [a, b] : [a, b, c ?? null], channels },
  };
}

const sameShape = (x: number[], y: number[]) => x.length === y.length && x.every((d, i) => d === y[i]);

/** `sd_merge_recipe` and `sd_merge_models` as A1111 writes them (JSON strings). */
async function recipe(o: MergeOptions, dicts: (LoadedDict | undefined)[], flags: { inpainting: boolean; pix2pix: boolean }): Promise<Record<string, string>> {
  const hashes: (FileHashes | undefined)[] = [];
  for (const d of dicts) {
    hashes.push(d ? await hashFile(d.path, {
      cache: o.hashCache,
      signal: o.signal,
      onProgress: (done, total) => o.onProgress?.({ stage: 'hashing', done, total, message: `hashing ${basename(d.path)}` }),
    }) : undefined);
  }
  const r = {
    type: 'webui',
    primary_model_hash: hashes[0]!.sha256,
    secondary_model_hash: hashes[1]?.sha256 ?? null,
    tertiary_model_hash: hashes[2]?.sha256 ?? null,
    interp_method: METHOD_NAMES[o.method],
    multiplier: o.multiplier,
    save_as_half: !!o.saveAsHalf,
    custom_name: o.customName ?? '',
    config_source: 0,
    bake_in_vae: o.bakeVae ? basename(o.bakeVae) : 'None',
    discard_weights: o.discard ?? '',
    is_inpainting: flags.inpainting,
    is_instruct_pix2pix: flags.pix2pix,
  };
  const models: Record<string, unknown> = {};
  dicts.forEach((d, i) => {
    if (!d) return;
    const name = basename(d.path);
    models[hashes[i]!.sha256] = { name, legacy_hash: hashes[i]!.legacy, sd_merge_recipe: parseJson(d.metadata.sd_merge_recipe) };
    Object.assign(models, parseJson(d.metadata.sd_merge_models) ?? {});
  });
  return { sd_merge_recipe: JSON.stringify(r), sd_merge_models: JSON.stringify(models) };
}

function parseJson(s: string | undefined): Record<string, unknown> | null {
  if (!s) return null;
  try {
    const v: unknown = JSON.parse(s);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Arithmetic: values are widened to f32 (f64 when the output is f64), combined, and rounded once to the output
// dtype, so every result is within 1 ulp of the formula. fp16 + fp16 → fp16, the common case, is fused.

interface MergeKernel {
  op: 'copy' | 'weighted-sum' | 'add-difference';
  m?: number;
  /** A, B[, C]; a null C means "C lacks this key": the difference is zero. */
  sources: (TensorRecord | null)[];
  /** Only the first `channels` input channels of A are merged (inpainting / instruct-pix2pix UNet input conv). */
  channels?: number;
}

/** torch's result dtype for A·x + B·y with Python-float scalars. */
export function promote(x: DType, y: DType): DType {
  if (x === y) return isFloat(x) ? x : 'F32';
  if (x === 'F64' || y === 'F64') return 'F64';
  if (isFloat(x) && !isFloat(y)) return x;
  if (isFloat(y) && !isFloat(x)) return y;
  return 'F32'; // F16 with BF16 (or F8s), or two integer types scaled by a float
}

function mergeTensor(k: MergeKernel, data: (Uint8Array | null)[], out: DType): Uint8Array {
  const [ra, rb, rc] = k.sources;
  if (k.op === 'copy') return ra!.dtype === out ? data[0]! : asBytes(convert(view(data[0]!, ra!.dtype), ra!.dtype, out));
  const m = k.m!;
  if (out === 'F16' && !k.channels && k.sources.every((r) => !r || r.dtype === 'F16')) {
    return asBytes(fusedF16(k.op, m, u16(data[0]!), u16(data[1]!), data[2] ? u16(data[2]) : null));
  }
  const wide: DType = out === 'F64' ? 'F64' : 'F32';
  const widen = (raw: Uint8Array | null, r: TensorRecord | null) => (raw && r ? (convert(view(raw, r.dtype), r.dtype, wide) as Float32Array | Float64Array) : null);
  const a = widen(data[0]!, ra!)!;
  const b = widen(data[1]!, rb!)!;
  const c = widen(data[2] ?? null, rc ?? null);
  if (k.op === 'add-difference' && !c) return asBytes(convert(a, wide, out)); // A + M·0
  const f = k.op === 'weighted-sum' ? (x: number, y: number) => (1 - m) * x + m * y : (x: number, y: number, z: number) => x + m * (y - z);
  if (k.channels) {
    // A is [O, Ca, ...], B (and C) [O, channels, ...]: merge A[:, 0:channels] only.
    const ca = ra!.shape[1]!;
    const inner = ra!.shape.slice(2).reduce((p, q) => p * q, 1);
    const outer = ra!.shape[0]!;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < k.channels * inner; i++) {
        const ai = o * ca * inner + i;
        const bi = o * k.channels * inner + i;
        a[ai] = f(a[ai]!, b[bi]!, c ? c[bi]! : 0);
      }
    }
  } else if (c) {
    for (let i = 0; i < a.length; i++) a[i] = a[i]! + m * (b[i]! - c[i]!);
  } else {
    const m0 = 1 - m;
    for (let i = 0; i < a.length; i++) a[i] = m0 * a[i]! + m * b[i]!;
  }
  return asBytes(convert(a, wide, out));
}

const u16 = (b: Uint8Array) => new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);

function fusedF16(op: MergeKernel['op'], m: number, a: Uint16Array, b: Uint16Array, c: Uint16Array | null): Uint16Array {
  const out = new Uint16Array(a.length);
  f16MergeScalar(op === 'weighted-sum' ? 'weighted-sum' : 'add-difference', m, a, b, c, out);
  return out;
}
