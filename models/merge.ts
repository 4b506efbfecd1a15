// A1111's Checkpoint Merger (`modules/extras.py: run_modelmerger`), streamed: the output's key
// set, dtypes and shapes are planned from the headers alone, the safetensors header is written first, then the
// output is produced in fixed-size chunks through a pipeline (see streamMerge): reads run ahead, fp16 tensors
// are merged by a WebAssembly SIMD kernel (models/mergeKernels/f16.ts), writes and hashing (two worker threads)
// run behind. Peak memory is the pipeline's slots (~100 MB) plus, for tensors not on the fp16 fast path, a few
// times the largest such tensor — never the model.
import { basename, extname, resolve } from 'node:path';
import { checkOutputFile } from './formats/outputChecks';
import { byteLength } from './formats/tensorRecord';
import { hashFile, recordHashes, type FileHashes, type HashCache } from './hash';
import { createF16Kernels } from './mergeKernels/f16';
import { OutputFile, OutputHasher } from './mergeKernels/output';
import { MergeError, loadStateDict, planKey, vaeDict, type LoadedDict, type Planned } from './mergePlan';
import { Sources, streamMerge } from './mergeStream';

export { MergeError, loadStateDict, promote } from './mergePlan';

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
  /** Replace an existing file at `out` (default false: refused before any work). */
  overwrite?: boolean;
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
  /** Pipeline sizes (tests shrink them to exercise chunking; the bench may compare settings). */
  tuning?: Partial<MergeTuning>;
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

export async function mergeCheckpoints(o: MergeOptions): Promise<MergeResult> {
  const tuning: MergeTuning = { ...MERGE_TUNING, ...o.tuning };
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
  await checkOutputFile(o.out, o.overwrite ?? false);

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
  const out = await OutputFile.create(o.out, plan.map(({ name, dtype, shape }) => ({ name, dtype, shape })), metadata, o.overwrite ?? false);
  const io = new Sources();
  // Small outputs get small chunks (a test merge needs no 100 MB of slots).
  const chunkBytes = Math.min(tuning.chunkBytes, Math.max(16, Math.ceil(total / 16) * 16));
  const mem = createF16Kernels(tuning.slots * 4 * chunkBytes, { simd: tuning.simd });
  const hasher = new OutputHasher(mem.bytes, out.header, total >= tuning.hashThreadsFrom, tuning.hashAddnet);
  try {
    await streamMerge(plan, out, io, mem, hasher, chunkBytes, total, { slots: tuning.slots, signal: o.signal, onProgress: o.onProgress });
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

export interface MergeTuning {
  chunkBytes: number;
  slots: number;
  hashThreadsFrom: number;
  simd: boolean;
  hashAddnet: boolean;
}

/** The default pipeline sizes (`MergeOptions.tuning` overrides them per merge). */
export const MERGE_TUNING: Readonly<MergeTuning> = Object.freeze({
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
});

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
