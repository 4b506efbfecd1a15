// The diffusers "ONNX pipeline" folder layout (reference/onnx-exports.md): which files make a model, and the
// scheduler facts the sampler needs. Pure file inspection; sessions are made elsewhere.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

export type PartName = 'text_encoder' | 'unet' | 'vae_encoder' | 'vae_decoder';

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
  tokenizerDir: string;
  /** Token used to pad after EOS: SD1's tokenizer pads with EOS, SD2's (OpenCLIP) with "!" (id 0). */
  padToken: string | undefined;
  scheduler: SchedulerConfig;
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
  for (const part of ['text_encoder', 'unet', 'vae_encoder', 'vae_decoder'] as PartName[]) {
    const file = join(dir, part, 'model.onnx');
    parts[part] = existsSync(file) ? file : undefined;
  }
  const tokenizerDir = join(dir, 'tokenizer');
  let padToken: string | undefined;
  const special = join(tokenizerDir, 'special_tokens_map.json');
  if (existsSync(special)) {
    const pad = readJson(special).pad_token;
    padToken = typeof pad === 'string' ? pad : typeof pad === 'object' && pad && typeof (pad as { content?: unknown }).content === 'string' ? (pad as { content: string }).content : undefined;
  }
  return { dir, name: basename(dir), parts, tokenizerDir, padToken, scheduler: readSchedulerConfig(join(dir, 'scheduler', 'scheduler_config.json')) };
}

/** The path of a required part, or an error that names the folder and the missing part. */
export function requirePart(layout: DiffusersOnnxLayout, part: PartName): string {
  const file = layout.parts[part];
  if (!file) throw new ModelLayoutError(join(layout.dir, part, 'model.onnx'), `the model folder has no ${part.replace('_', ' ')} (missing file)`, LAYOUT);
  return file;
}

export function requireTokenizer(layout: DiffusersOnnxLayout): string {
  for (const f of ['vocab.json', 'merges.txt']) {
    const file = join(layout.tokenizerDir, f);
    if (!existsSync(file)) throw new ModelLayoutError(file, 'the model folder has no tokenizer (missing file)', LAYOUT);
  }
  return layout.tokenizerDir;
}
