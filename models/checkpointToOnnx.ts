// A single-file SD 1.x/2.x/SDXL checkpoint (.safetensors or .ckpt) → a diffusers-layout ONNX folder the daemon
// loads like any other (SDXL: Optimum's layout with text_encoder_2/ and tokenizer_2/). Weights are read in place
// where the dtype fits (externalModel.ts), so a build reads headers and writes small graphs; fp16 weights for
// fp32 CPU graphs are converted once (SD 1.x/2.x) or, for SDXL, stay fp16 in the checkpoint and are cast in the
// graph: no second 10 GB copy of the UNet on disk. Without `out` the folder goes to the cache: one base build
// per checkpoint (keyed by its SHA-256 + options, its own VAE, no LoRA), and per LoRA/VAE combination a variant
// that shares the base's bytes (checkpointVariant.ts). The cache keeps to a size limit, least recently used out
// (buildCache.ts). Nothing is ever written next to the checkpoint.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile, readdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, extname, join, resolve } from 'node:path';
import { buildDirAtomic } from './formats/atomicFile';
import { openWeights, stateDict } from './formats/open';
import type { TensorRecord } from './formats/tensorRecord';
import { hashFile, defaultCacheDir, type HashCache } from './hash';
import { readArchConfig, type ArchConfig, type Prediction } from './arch/archConfig';
import { buildClipText } from './arch/clipText';
import { buildOpenClipText } from './arch/openClipText';
import { writeExternalModel, type ExternalWriteResult } from './arch/externalModel';
import { buildUnet, type BuiltPart, type UnetBuildOptions } from './arch/unet';
import { buildVaeDecoder, buildVaeEncoder, vaePrefix } from './arch/vae';
import { detectCheckpoint, isSdxlFamily, UnsupportedCheckpointError, type Detection } from './detect';
import { findTokenizerDir, writeSchedulerAndIndex, writeTokenizer, writeVaeConfigs } from './onnxFolderFiles';
import { checkpointSidecar, hasKindExtension } from './registry';
import { SessionPool } from './sessions';
import { mergeLoras, type LoraApply } from './lora';
import { buildVariant } from './checkpointVariant';
import { ensureUnetVariant, type UnetVariant } from './unetVariant';
import { BUILD_STAMP, enforceCacheLimit, touchEntry } from './buildCache';

/** Bumped when graphs change, so cached folders built by older code are rebuilt. */
export const BUILDER_VERSION = 3;

export interface BuildOptions {
  checkpoint: string;
  /** Explicit output folder (convert-onnx); default: the cache. Must not exist or be empty. */
  out?: string;
  /** Architecture description (fixture JSON or ldm .yaml); default: `<checkpoint>.yaml` beside it, if any. */
  config?: string;
  /**
   * Separate VAE file; default `<checkpoint>.vae.{safetensors,pt,ckpt}` beside it, if any; false: the
   * checkpoint's own VAE (A1111 SD VAE "None").
   */
  vae?: string | false;
  fp16?: boolean;
  /** A1111 setting override of the prediction type. */
  prediction?: Prediction;
  tokenizerDir?: string;
  /**
   * LoRAs applied to the text-encoder and UNet weights (A1111 `<lora:name:te:unet>`), inside the graph
   * (loraGraph.ts). The variant is its own cache folder keyed by (checkpoint, LoRA file hashes and multipliers)
   * sharing the base build's bytes. LoRAs whose multipliers are all 0 are left out (identity): the plain build.
   */
  loras?: LoraApply[];
  cacheDir?: string;
  /**
   * The whole cache's size limit (setting sdStudio.cacheLimitGB) and its root folder (buildCache.ts): after a
   * load, least recently used entries go until it fits.
   */
  cacheLimit?: { root: string; bytes: number };
  hashCache?: HashCache | false;
  signal?: AbortSignal;
  onStage?: (stage: string) => void;
  /** The UNet graph wanted (token merging, int8): built beside the plain one on first use (unetVariant.ts). */
  unet?: UnetVariant;
}

export interface BuildResult {
  dir: string;
  /** True when a previous build was reused. */
  cached: boolean;
  detection: Detection;
  prediction: Prediction;
  sha256: string;
  vae?: string;
  tokenizer: 'copied' | 'missing';
  /** Checkpoint keys a LoRA changed, and LoRA modules that matched no layer (skipped, as A1111 does). */
  lora?: { merged: number; unmatched: string[] };
  /** A variant's base build folder (undefined for a base build). */
  base?: string;
  /** Per part: weights read in place, converted, and whether the part is the base's own files (hard links). */
  parts: Record<string, Pick<ExternalWriteResult, 'pointed' | 'converted' | 'convertedBytes'> & { linked?: boolean }>;
  /** The UNet graph to load: `unet/model.onnx`, or the variant asked for (`BuildOptions.unet`). */
  unet: string;
  seconds: number;
}

/** A built folder as its stamp records it: which UNet graph a caller loads is decided per call. */
type BuiltFolder = Omit<BuildResult, 'unet'>;

const STAMP = BUILD_STAMP;

export const isCheckpointFile = (path: string): boolean => hasKindExtension(path, 'checkpoint') && existsSync(path);

async function loadVae(o: BuildOptions, main: ReadonlyMap<string, TensorRecord>): Promise<{ tensors: ReadonlyMap<string, TensorRecord>; file?: string }> {
  const file = o.vae === false ? undefined : (o.vae ?? checkpointSidecar(o.checkpoint, 'vae'));
  if (!file) return { tensors: main };
  const t = stateDict(await openWeights(file));
  const p = vaePrefix(t);
  if (!t.has(`${p}decoder.conv_in.weight`)) throw new UnsupportedCheckpointError(`${file}: not a KL VAE (no ${p}decoder.conv_in.weight)`);
  return { tensors: t, file };
}

/** A1111's is_using_v_parameterization_for_sd2: mean(unet(0.5, t=999, ctx=0.5) − 0.5) < −1 means v. */
async function unetPredictsV(unetModel: string, inCh: number, ctxDim: number): Promise<boolean> {
  const pool = new SessionPool({ provider: 'cpu', threads: 0 });
  try {
    const s = await pool.get(unetModel);
    const x = new Float32Array(inCh * 64).fill(0.5);
    const out = await s.run({
      sample: { type: 'float32', data: x, dims: [1, inCh, 8, 8] },
      timestep: { type: 'float32', data: Float32Array.of(999), dims: [1] },
      encoder_hidden_states: { type: 'float32', data: new Float32Array(2 * ctxDim).fill(0.5), dims: [1, 2, ctxDim] },
    });
    const y = out.out_sample!.data as Float32Array;
    let sum = 0;
    for (let i = 0; i < y.length; i++) sum += y[i]! - 0.5;
    return sum / y.length < -1;
  } finally {
    await pool.disposeAll();
  }
}

function mergeConfigs(a: ArchConfig | undefined, b: ArchConfig | undefined): ArchConfig | undefined {
  if (!a || !b) return a ?? b;
  return {
    unetHeads: b.unetHeads ?? a.unetHeads, textHeads: b.textHeads ?? a.textHeads, clipHeads: b.clipHeads ?? a.clipHeads, openClipHeads: b.openClipHeads ?? a.openClipHeads,
    prediction: b.prediction ?? a.prediction, source: `${a.source} + ${b.source}`,
  };
}

const keyOf = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);

/** The base build's options (its own VAE, no LoRA); a variant adds the separate VAE and the LoRAs. */
function baseKey(o: BuildOptions, cfg: ArchConfig | undefined): string {
  return keyOf({ v: BUILDER_VERSION, fp16: !!o.fp16, prediction: o.prediction ?? null, config: cfg ? { ...cfg, source: undefined } : null });
}

interface Prepared {
  checkpoint: string;
  tensors: ReadonlyMap<string, TensorRecord>;
  cfg: ArchConfig | undefined;
  detection: Detection;
  vae: { tensors: ReadonlyMap<string, TensorRecord>; file?: string };
  sha256: string;
  started: number;
}

type TextBuild = (tensors: ReadonlyMap<string, TensorRecord>) => BuiltPart;

/** The text encoder graphs of a family's folder, by folder name (SDXL: CLIP-L and CLIP-G; the refiner CLIP-G only). */
function textParts(d: Detection, cfg: ArchConfig | undefined, fp16: boolean): Array<[string, TextBuild]> {
  const clipL: TextBuild = (t) => buildClipText(t, { prefix: d.textPrefix, heads: cfg?.clipHeads, fp16, castF16InGraph: true });
  const clipG: TextBuild = (t) => buildOpenClipText(t, { prefix: d.text2Prefix, heads: cfg?.openClipHeads, fp16, withProjection: true, castF16InGraph: true });
  switch (d.family) {
    case 'sd1':
      return [['text_encoder', (t) => buildClipText(t, { prefix: d.textPrefix, heads: cfg?.textHeads, fp16 })]];
    case 'sd2':
      return [['text_encoder', (t) => buildOpenClipText(t, { prefix: d.textPrefix, heads: cfg?.textHeads, fp16 })]];
    case 'sdxl':
      return [['text_encoder', clipL], ['text_encoder_2', clipG]];
    case 'sdxl-refiner':
      return [['text_encoder_2', clipG]];
  }
}

/** Builds (or reuses) the ONNX folder for a checkpoint. Errors name the file and what was found. */
export async function checkpointToOnnx(o: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const checkpoint = resolve(o.checkpoint);
  const stage = (s: string) => o.onStage?.(s);
  stage('reading checkpoint');
  const tensors = stateDict(await openWeights(checkpoint));
  // A1111 reads `<name>.yaml` beside the checkpoint; an explicit --config adds to it and wins where both speak.
  // `<name>.config.json` (the --config JSON form) is accepted beside it too, for checkpoints whose text-encoder
  // heads no yaml can state.
  const yaml = checkpointSidecar(checkpoint, 'config');
  const cfg = mergeConfigs(yaml ? readArchConfig(yaml) : undefined, o.config ? readArchConfig(o.config) : undefined);
  const detection = detectCheckpoint(tensors, { file: checkpoint, prediction: o.prediction, configPrediction: cfg?.prediction });
  const vae = await loadVae({ ...o, checkpoint }, tensors);
  if (!vae.file && !detection.hasVae) throw new UnsupportedCheckpointError(`${checkpoint}: ${detection.summary}, but it has no VAE (first_stage_model.*): give one with --vae / the SD VAE setting`);
  const loras = (o.loras ?? []).filter((l) => l.te !== 0 || l.unet !== 0);

  stage('hashing checkpoint');
  const { sha256 } = await hashFile(checkpoint, { cache: o.hashCache, signal: o.signal });
  const p: Prepared = { checkpoint, tensors, cfg, detection, vae, sha256, started };
  if (o.out) {
    if (loras.length) throw new Error('LoRAs are applied to cached builds only, not to an explicit output folder');
    const out = resolve(o.out);
    if (existsSync(out) && (await readdir(out)).length > 0) throw new Error(`${out}: output folder exists and is not empty`);
    const built = await buildBase(o, p, out, vae);
    return { ...built, unet: await unetGraph(o, p, built, loras) };
  }
  const cacheDir = o.cacheDir ?? join(defaultCacheDir(), 'onnx');
  // The base has the checkpoint's own VAE; a checkpoint without one gets its VAE parts only in variants.
  const own = { tensors, ...(detection.hasVae ? {} : { none: true }) };
  const baseDir = join(cacheDir, `${sha256.slice(0, 16)}-${baseKey(o, cfg)}`);
  const base = (await cached(o, baseDir, started)) ?? (await buildBase(o, p, baseDir, own));
  let result = base;
  if (vae.file || loras.length) {
    const key = keyOf({
      vae: vae.file ? (await hashFile(vae.file, { cache: o.hashCache, signal: o.signal })).sha256 : null,
      loras: await Promise.all(loras.map(async (l) => ({ sha256: (await hashFile(l.file, { cache: o.hashCache, signal: o.signal })).sha256, te: l.te, unet: l.unet }))),
    });
    const dir = `${baseDir}+${key}`;
    result = (await cached(o, dir, started)) ?? (await buildVariantFolder(o, p, base, dir, loras));
  }
  const unet = await unetGraph(o, p, result, loras);
  touchEntry(result.dir);
  if (o.cacheLimit) enforceCacheLimit(o.cacheLimit.root, o.cacheLimit.bytes, [result.dir, base.dir]);
  return { ...result, unet };
}

/**
 * The UNet graph `o.unet` asks for in the built folder, written beside the plain one the first time from the
 * checkpoint's tensor headers. Where LoRAs changed the UNet, the variant computes their weights as the plain graph
 * does, and weights it derives from them (int8) start from the merged floats.
 */
async function unetGraph(o: BuildOptions, p: Prepared, built: BuiltFolder, loras: readonly LoraApply[]): Promise<string> {
  const asked = o.unet ?? {};
  if (asked.precision === 'int8' && o.fp16) throw new UnsupportedCheckpointError(`${p.checkpoint}: int8 UNet graphs are for the CPU provider's fp32 builds, not fp16`);
  // An fp16 build's plain graph is already the fp16 one. A1111 merges tokens at the highest resolution only
  // (tomesd max_downsample 1), where SDXL UNets have no attention: their merging graph would be the plain one.
  const v = {
    ...asked,
    ...(o.fp16 && asked.precision === 'fp16' ? { precision: 'fp32' as const } : {}),
    ...(isSdxlFamily(p.detection.family) ? { tokenMerging: false } : {}),
  };
  const loraUnet = loras.some((l) => l.unet !== 0) && !built.parts.unet?.linked;
  return ensureUnetVariant(join(built.dir, 'unet', 'model.onnx'), v, {
    build: () => {
      o.onStage?.('building the UNet variant');
      return buildUnet(p.tensors, { ...unetOptions(p, !!o.fp16 || v.precision === 'fp16'), tokenMerging: v.tokenMerging, int8: v.precision === 'int8' });
    },
    ...(loraUnet ? { merged: async () => (await mergeLoras(p.tensors, loras, { isSd2: p.detection.family === 'sd2' })).tensors } : {}),
  });
}

/** How the family's UNet is built (the plain graph and its variants alike): SDXL's vector input, fp16 weights cast at run. */
function unetOptions(p: Prepared, fp16: boolean): UnetBuildOptions {
  const { detection } = p;
  if (!isSdxlFamily(detection.family)) return { heads: p.cfg?.unetHeads, fp16 };
  const pooledDim = p.tensors.get(`${detection.text2Prefix}text_projection`)?.shape[1];
  if (pooledDim === undefined) throw new UnsupportedCheckpointError(`${p.checkpoint}: ${detection.summary}, but ${detection.text2Prefix}text_projection is missing`);
  return { heads: p.cfg?.unetHeads, fp16, castF16InGraph: true, sdxl: { pooledDim } };
}

/** A finished folder from an earlier build (its stamp exists), or undefined. */
async function cached(o: BuildOptions, dir: string, started: number): Promise<BuiltFolder | undefined> {
  if (!existsSync(join(dir, STAMP))) return undefined;
  const stamp = JSON.parse(readFileSync(join(dir, STAMP), 'utf8')) as BuiltFolder;
  // A tokenizer found since the first build (or given now) completes the cached folder.
  const tok = stamp.tokenizer === 'missing' ? findTokenizerDir(o.tokenizerDir) : undefined;
  if (tok) writeTokenizer(tok, dir, stamp.detection.family);
  return { ...stamp, tokenizer: tok ? 'copied' : stamp.tokenizer, dir, cached: true, seconds: (performance.now() - started) / 1000 };
}

/** Builds `dir` atomically (buildDirAtomic): `fill` writes the parts, the stamp goes in last. */
function atomicFolder(dir: string, stampExtra: object, fill: (tmp: string) => Promise<BuiltFolder>): Promise<BuiltFolder> {
  return buildDirAtomic(dir, async (tmp) => {
    const result = await fill(tmp);
    await writeFile(join(tmp, STAMP), JSON.stringify({ ...result, ...stampExtra, builderVersion: BUILDER_VERSION }, null, 2));
    return result;
  });
}

async function buildBase(o: BuildOptions, p: Prepared, dir: string, vae: { tensors: ReadonlyMap<string, TensorRecord>; file?: string; none?: boolean }): Promise<BuiltFolder> {
  const stage = (s: string) => o.onStage?.(s);
  const { checkpoint, tensors, cfg, detection } = p;
  return atomicFolder(dir, { checkpoint }, async (tmp) => {
    const parts: BuildResult['parts'] = {};
    const write = async (name: string, part: BuiltPart, source = checkpoint): Promise<string> => {
      stage(`writing ${name}`);
      const r = await writeExternalModel(part.g, part.params.plan, join(tmp, name), { checkpoint: source, signal: o.signal });
      parts[name] = { pointed: r.pointed, converted: r.converted, convertedBytes: r.convertedBytes };
      return r.modelPath;
    };
    for (const [name, build] of textParts(detection, cfg, !!o.fp16)) await write(name, build(tensors));
    const unet = buildUnet(tensors, unetOptions(p, !!o.fp16));
    const unetPath = await write('unet', unet);
    if (!vae.none) {
      await write('vae_encoder', buildVaeEncoder(vae.tensors), vae.file ?? checkpoint);
      await write('vae_decoder', buildVaeDecoder(vae.tensors), vae.file ?? checkpoint);
      writeVaeConfigs(tmp, detection.family);
    }
    let prediction: Prediction;
    if (detection.prediction === 'unet-test') {
      stage('testing for v-prediction');
      prediction = !o.fp16 && (await unetPredictsV(unetPath, unet.info.inChannels, unet.info.contextDim)) ? 'v_prediction' : 'epsilon';
    } else prediction = detection.prediction;
    const tok = findTokenizerDir(o.tokenizerDir);
    if (tok) writeTokenizer(tok, tmp, detection.family);
    writeSchedulerAndIndex(tmp, prediction, !!tok, detection.family);
    return {
      dir, cached: false, detection, prediction, sha256: p.sha256, vae: vae.file, tokenizer: tok ? 'copied' : 'missing', parts,
      seconds: (performance.now() - p.started) / 1000,
    };
  });
}

async function buildVariantFolder(o: BuildOptions, p: Prepared, base: BuiltFolder, dir: string, loras: LoraApply[]): Promise<BuiltFolder> {
  const vae = p.vae.file ? { file: p.vae.file, tensors: p.vae.tensors } : undefined;
  const stampExtra = { checkpoint: p.checkpoint, base: base.dir, loras: loras.map((l) => ({ name: l.name, file: l.file, te: l.te, unet: l.unet })) };
  return atomicFolder(dir, stampExtra, async (tmp) => {
    const r = await buildVariant({
      base: base.dir, dir: tmp, tensors: p.tensors, isSd2: p.detection.family === 'sd2', loras, ...(vae ? { vae } : {}), signal: o.signal, onStage: o.onStage,
    });
    return {
      ...base, dir, cached: false, base: base.dir, vae: vae?.file, ...(r.lora ? { lora: r.lora } : {}), parts: r.parts,
      seconds: (performance.now() - p.started) / 1000,
    };
  });
}

/** "model" for infotexts: the checkpoint's file name without extension, as A1111 writes it. */
export const checkpointTitle = (file: string): string => basename(file, extname(file));
