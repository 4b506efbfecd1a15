// What each tensor of a merge becomes (A1111 `modules/extras.py: run_modelmerger`): the inputs read as A1111's
// read_state_dict reads them, one plan entry per output key (kept from A, merged, or baked from the VAE), and the
// arithmetic: values widened to f32 (f64 when the output is f64), combined, rounded once to the output dtype, so
// every result is within 1 ulp of the formula. fp16 + fp16 → fp16, the common case, is fused.
import { openWeights, stateDict } from './formats/open';
import type { TensorSpec } from './formats/safetensors';
import { asBytes, convert, isFloat, view, type DType, type TensorRecord } from './formats/tensorRecord';
import type { MergeOptions } from './merge';
import { f16MergeScalar } from './mergeKernels/f16';

export class MergeError extends Error {
  override name = 'MergeError';
}

/** `cond_stage_model.transformer.text_model.embeddings.position_ids`: never merged (A1111 skip list). */
const SKIP_ON_MERGE = new Set(['cond_stage_model.transformer.text_model.embeddings.position_ids']);

/** One output tensor: where its values come from and what it becomes. */
export interface Planned extends TensorSpec {
  a: TensorRecord;
  kernel: MergeKernel;
}

export interface LoadedDict {
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
export function vaeDict(v: LoadedDict): Map<string, TensorRecord> {
  const out = new Map<string, TensorRecord>();
  for (const [k, r] of v.dict) if (!k.startsWith('loss') && k !== 'model_ema.decay' && k !== 'model_ema.num_updates') out.set(k, r);
  return out;
}

const half = (d: DType, on: boolean | undefined): DType => (on && d === 'F32' ? 'F16' : d);
const fmt = (s: number[]) => `[${s.join(', ')}]`;

export function planKey(
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
  // Integer buffers (SDXL's conditioner.embedders.0…position_ids, I64): A1111 merges them as floats, which changes
  // nothing but their dtype (every checkpoint holds the same 0..76); A's are kept as they are.
  if (!isFloat(a.dtype) && !isFloat(b.dtype)) return { name: key, dtype: a.dtype, shape: a.shape, a, kernel: { op: 'copy', sources: [a] } };
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

export interface MergeKernel {
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

export function mergeTensor(k: MergeKernel, data: (Uint8Array | null)[], out: DType): Uint8Array {
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
