// The diffusers "ONNX pipeline" folder layout (diffusers' OnnxStableDiffusionPipeline and Optimum's ONNX export:
// model_index.json, one model.onnx per part, tokenizer/, scheduler/): which files make a model, and the scheduler facts
// the sampler needs. SDXL folders (Optimum's ORTStableDiffusionXLPipeline layout) add text_encoder_2/ + tokenizer_2/
// (the refiner has only those) and a VAE whose config.json says scaling_factor 0.13025. Pure file inspection; sessions
// are made elsewhere.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

export type PartName = 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_encoder' | 'vae_decoder';

/** 'sd': SD 1.x/2.x (one text encoder); 'sdxl': CLIP-L + CLIP-G; 'sdxl-refiner': CLIP-G only. */
export type ModelKind = 'sd' | 'sdxl' | 'sdxl-refiner';

export interface SchedulerConfig {
  beta_start: number;
  beta_end: number;
  beta_schedule: string;
  num_train_timesteps: number;
  prediction_type: 'epsilon' | 'v_prediction';
}

export interface DiffusersOnnxLayout {
  dir: string;
  /** Folder name, used as A1111's "Model" infotext value. */
  name: string;
  parts: Record<PartName, string | undefined>;
  kind: ModelKind;
  /** tokenizer/ (SDXL refiner: tokenizer_2/, its only one). */
  tokenizerDir: string;
  /** Token used to pad after EOS: SD1's tokenizer pads with EOS, SD2's (OpenCLIP) with "!" (id 0). */
  padToken: string | undefined;
  /** SDXL base: tokenizer_2/ (CLIP-G's, padded with "!"). */
  tokenizer2Dir?: string;
  scheduler: SchedulerConfig;
  /** The VAE's latent scaling factor: vae_decoder/config.json `scaling_factor`, else 0.13025 for SDXL, 0.18215 otherwise. */
  latentScale: number;
}

/** A problem with a model folder, naming the file and what was expected. */
export class ModelLayoutError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly expected?: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ModelLayoutError';
  }
}

const LAYOUT = 'a diffusers ONNX folder: model_index.json, text_encoder/, unet/, vae_encoder/, vae_decoder/ (each with model.onnx), tokenizer/ (vocab.json, merges.txt), scheduler/scheduler_config.json';

function readJson(file: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new ModelLayoutError(file, `cannot read: ${(e as Error).message}`, 'a JSON object');
  }
}

function numberField(cfg: Record<string, unknown>, key: string, def: number): number {
  const v = cfg[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : def;
}

export function readSchedulerConfig(file: string): SchedulerConfig {
  if (!existsSync(file)) {
    // Real exports always carry it, but SD1.x defaults are a safe reading of a folder that lost it.
    return { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000, prediction_type: 'epsilon' };
  }
  const cfg = readJson(file);
  const prediction = cfg.prediction_type ?? 'epsilon';
  if (prediction !== 'epsilon' && prediction !== 'v_prediction') {
    throw new ModelLayoutError(file, `prediction_type "${String(prediction)}" is not supported`, 'epsilon or v_prediction');
  }
  const schedule = typeof cfg.beta_schedule === 'string' ? cfg.beta_schedule : 'scaled_linear';
  return {
    beta_start: numberField(cfg, 'beta_start', 0.00085),
    beta_end: numberField(cfg, 'beta_end', 0.012),
    beta_schedule: schedule,
    num_train_timesteps: numberField(cfg, 'num_train_timesteps', 1000),
    prediction_type: prediction,
  };
}

/** Inspect a folder; throws ModelLayoutError naming the first missing or unreadable piece. */
export function readDiffusersOnnxLayout(dirIn: string): DiffusersOnnxLayout {
  const dir = resolve(dirIn);
  if (!existsSync(dir)) throw new ModelLayoutError(dir, 'model folder not found', LAYOUT);
  if (!statSync(dir).isDirectory()) throw new ModelLayoutError(dir, 'is a file, not a model folder (single-file checkpoints need conversion)', LAYOUT);
  const parts = {} as Record<PartName, string | undefined>;
  for (const part of ['text_encoder', 'text_encoder_2', 'unet', 'vae_encoder', 'vae_decoder'] as PartName[]) {
    const file = join(dir, part, 'model.onnx');
    parts[part] = existsSync(file) ? file : undefined;
  }
  const kind: ModelKind = parts.text_encoder_2 ? (parts.text_encoder ? 'sdxl' : 'sdxl-refiner') : 'sd';
  const tokenizerDir = join(dir, kind === 'sdxl-refiner' ? 'tokenizer_2' : 'tokenizer');
  return {
    dir, name: basename(dir), parts, kind, tokenizerDir, padToken: padTokenOf(tokenizerDir), ...(kind === 'sdxl' ? { tokenizer2Dir: join(dir, 'tokenizer_2') } : {}),
    scheduler: readSchedulerConfig(join(dir, 'scheduler', 'scheduler_config.json')),
    latentScale: latentScaleOf(dir, kind),
  };
}

function padTokenOf(tokenizerDir: string): string | undefined {
  const special = join(tokenizerDir, 'special_tokens_map.json');
  if (!existsSync(special)) return undefined;
  const pad = readJson(special).pad_token;
  return typeof pad === 'string' ? pad : typeof pad === 'object' && pad && typeof (pad as { content?: unknown }).content === 'string' ? (pad as { content: string }).content : undefined;
}

function latentScaleOf(dir: string, kind: ModelKind): number {
  for (const part of ['vae_decoder', 'vae_encoder']) {
    const file = join(dir, part, 'config.json');
    if (!existsSync(file)) continue;
    const v = readJson(file).scaling_factor;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  }
  return kind === 'sd' ? 0.18215 : 0.13025;
}

/** The path of a required part, or an error that names the folder and the missing part. */
export function requirePart(layout: DiffusersOnnxLayout, part: PartName): string {
  const file = layout.parts[part];
  if (!file) throw new ModelLayoutError(join(layout.dir, part, 'model.onnx'), `the model folder has no ${part.replace('_', ' ')} (missing file)`, LAYOUT);
  return file;
}

export function requireTokenizer(layout: DiffusersOnnxLayout, dir = layout.tokenizerDir): string {
  for (const f of ['vocab.json', 'merges.txt']) {
    const file = join(dir, f);
    if (!existsSync(file)) throw new ModelLayoutError(file, 'the model folder has no tokenizer (missing file)', LAYOUT);
  }
  return dir;
}
