// A1111's Checkpoint Merger (`modules/extras.py: run_modelmerger`, reference §7.1), streamed: the output's key
// set, dtypes and shapes are planned from the headers alone, the safetensors header is written first, then each
// tensor is read, merged and written before the next is touched — peak memory is a few times the largest
// tensor, never the model. The next tensor's reads overlap the current one's arithmetic and write.
import { basename, extname, resolve } from 'node:path';
import { SafetensorsWriter, type TensorSpec } from './formats/safetensors';
import { openWeights, stateDict } from './formats/open';
import { TensorReader, asBytes, byteLength, convert, isFloat, view, type DType, type TensorRecord } from './formats/tensorRecord';
import { f16BitsToF32 } from './graph/float16';
import { hashFile, recordHashes, type FileHashes, type HashCache } from './hash';

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
  const writer = await SafetensorsWriter.create(o.out, plan.map(({ name, dtype, shape }) => ({ name, dtype, shape })), metadata);
  const reader = new TensorReader();
  try {
    let done = 0;
    // Reads of tensor i+1 run while tensor i is merged; one write is in flight at a time.
    const load = (p: Planned) => {
      const all = Promise.all(p.kernel.sources.map((r) => (r ? reader.bytes(r) : Promise.resolve(null))));
      all.catch(() => undefined); // reported when awaited
      return all;
    };
    let next = plan.length ? load(plan[0]!) : undefined;
    let writing: Promise<void> = Promise.resolve();
    for (let i = 0; i < plan.length; i++) {
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('cancelled');
      const p = plan[i]!;
      const data = await next!;
      next = i + 1 < plan.length ? load(plan[i + 1]!) : undefined;
      const bytes = mergeTensor(p.kernel, data, p.dtype);
      await writing;
      writing = writer.write(bytes);
      writing.catch(() => undefined); // reported when awaited
      done += bytes.byteLength;
      o.onProgress?.({ stage: 'merging', done, total, tensor: i + 1, tensors: plan.length, message: `${i + 1}/${plan.length} ${p.name}` });
    }
    await writing;
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('cancelled');
    const hashes = await writer.commit();
    await recordHashes(o.out, hashes.sha256, hashes.addnet, o.hashCache);
    return {
      out: o.out, tensors: plan.length, bytes: total, sha256: hashes.sha256, shortHash: hashes.sha256.slice(0, 10),
      isInpainting: flags.inpainting, isInstructPix2Pix: flags.pix2pix, metadata,
    };
  } catch (e) {
    await writer.abort();
    throw e;
  } finally {
    await reader.close();
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

let f16Table: Float32Array | undefined;
const BLOCK = 16384;
const tmp = new Float32Array(BLOCK);
const tmpBits = new Uint32Array(tmp.buffer);
const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/**
 * fp16 in, fp16 out, over cache-sized blocks: decode by table, combine, then round to nearest even with
 * branch-light bit arithmetic (F. Giesen's float_to_half_fast3_rtne; matches graph/float16 bit for bit).
 */
function fusedF16(op: MergeKernel['op'], m: number, a: Uint16Array, b: Uint16Array, c: Uint16Array | null): Uint16Array {
  const T = (f16Table ??= f16BitsToF32(Uint16Array.from({ length: 65536 }, (_, i) => i)));
  const out = new Uint16Array(a.length);
  const m0 = 1 - m;
  for (let s = 0; s < a.length; s += BLOCK) {
    const n = Math.min(BLOCK, a.length - s);
    if (op === 'weighted-sum') for (let j = 0; j < n; j++) tmp[j] = m0 * T[a[s + j]!]! + m * T[b[s + j]!]!;
    else if (c) for (let j = 0; j < n; j++) tmp[j] = T[a[s + j]!]! + m * (T[b[s + j]!]! - T[c[s + j]!]!);
    else for (let j = 0; j < n; j++) tmp[j] = T[a[s + j]!]!;
    for (let j = 0; j < n; j++) {
      let x = tmpBits[j]!;
      const sign = (x >>> 16) & 0x8000;
      x &= 0x7fffffff;
      let h: number;
      if (x < 0x38800000) {
        // Zero or subnormal half: adding 0.5 lines the 10 mantissa bits up at the bottom (exact rounding:
        // the f64 sum rounded once to f32 is correctly rounded for two f32 operands).
        scratch[0] = Math.abs(tmp[j]!) + 0.5;
        h = scratchBits[0]! - 0x3f000000;
      } else if (x >= 0x47800000) {
        h = x > 0x7f800000 ? 0x7e00 : 0x7c00;
      } else {
        h = (x - 0x37fff001 + ((x >>> 13) & 1)) >>> 13; // rebias exponent, + 0xfff + odd bit: ties to even
      }
      out[s + j] = h | sign;
    }
  }
  return out;
}
