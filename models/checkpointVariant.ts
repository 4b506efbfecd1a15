// A LoRA / VAE variant of a checkpoint's base build (checkpointToOnnx.ts) without copying the base: the parts it
// does not change are hard links to the base's files (the same bytes on disk); a part a LoRA changes gets a new
// graph whose LoRA weights are W_base + the LoRA's low-rank delta (loraGraph.ts), with W_base still read from
// where the base reads it and the factors read from the LoRA file in place; a separate VAE's parts point into the
// VAE file. So a variant costs its graphs and, at most, the tensors the LoRA or VAE brings.
import { copyFile, cp, link, mkdir, readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel } from './graph';
import type { TensorRecord } from './formats/tensorRecord';
import { buildVaeDecoder, buildVaeEncoder } from './arch/vae';
import { writeExternalModel, writeModelAtomic, type ExternalWriteResult } from './arch/externalModel';
import { ExternalDataWriter, type ExternalDataStats } from './externalData';
import { addLoraDeltas } from './loraGraph';
import { loraDeltas, type LoraApply } from './lora';
import { BUILD_STAMP } from './buildCache';
import { isUnetVariantFile } from './unetVariant';

export const PART_NAMES = ['text_encoder', 'text_encoder_2', 'unet', 'vae_encoder', 'vae_decoder'] as const;
const LORA_DATA = 'lora.bin';

export interface VariantSpec {
  /** The base build folder (the checkpoint with its own VAE, no LoRA). */
  base: string;
  /** The folder to fill (empty). */
  dir: string;
  tensors: ReadonlyMap<string, TensorRecord>;
  isSd2: boolean;
  loras: readonly LoraApply[];
  /** A separate VAE: its file and tensors. */
  vae?: { file: string; tensors: ReadonlyMap<string, TensorRecord> };
  signal?: AbortSignal;
  onStage?: (stage: string) => void;
}

export interface VariantResult {
  lora?: { merged: number; unmatched: string[] };
  parts: Record<string, Pick<ExternalWriteResult, 'pointed' | 'converted' | 'convertedBytes'> & { linked?: boolean }>;
}

/** Hard links every file of `from` into `to` (a copy where the filesystem refuses links). */
async function linkFiles(from: string, to: string, except: (name: string) => boolean = () => false): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    if (!e.isFile() || except(e.name)) continue;
    await link(join(from, e.name), join(to, e.name)).catch(() => copyFile(join(from, e.name), join(to, e.name)));
  }
}

export async function buildVariant(v: VariantSpec): Promise<VariantResult> {
  const stage = (s: string) => v.onStage?.(s);
  // The small files (model_index.json, scheduler/, tokenizer/) are copied: kilobytes.
  for (const e of await readdir(v.base, { withFileTypes: true })) {
    if ((PART_NAMES as readonly string[]).includes(e.name) || e.name === BUILD_STAMP) continue;
    await cp(join(v.base, e.name), join(v.dir, e.name), { recursive: true });
  }
  const parts: VariantResult['parts'] = {};
  let lora: VariantResult['lora'];
  const deltas = v.loras.length ? await loraDeltas(v.tensors, v.loras, { isSd2: v.isSd2 }) : undefined;
  let merged = 0;
  // SDXL has a second text encoder (CLIP-G, `lora_te2_*`); the refiner has only that one.
  for (const part of ['text_encoder', 'text_encoder_2', 'unet'] as const) {
    const from = join(v.base, part);
    if (!existsSync(join(from, 'model.onnx'))) continue;
    const model = decodeModel(await readFile(join(from, 'model.onnx')));
    const names = new Set((model.graph?.initializer ?? []).map((t) => t.name ?? ''));
    const targets = new Map([...(deltas?.byKey ?? [])].filter(([key]) => names.has(key)));
    if (targets.size === 0) {
      await linkFiles(from, join(v.dir, part));
      parts[part] = { pointed: 0, converted: 0, convertedBytes: 0, linked: true };
      continue;
    }
    stage(`applying LoRA to ${part}`);
    const to = join(v.dir, part);
    // The base's UNet variants (token merging, int8) lack the LoRA: this folder builds its own when asked.
    await linkFiles(from, to, (name) => name === 'model.onnx' || isUnetVariantFile(name));
    const data = new ExternalDataWriter(to, LORA_DATA);
    v.loras.forEach((l, k) => data.allowInPlace(l.file, `lora-${k}.weights`));
    let stats: ExternalDataStats;
    try {
      await addLoraDeltas(model, targets, data);
      stats = await data.close();
    } catch (e) {
      await data.abort();
      throw e;
    }
    await writeModelAtomic(join(to, 'model.onnx'), model);
    parts[part] = stats;
    merged += targets.size;
  }
  if (deltas) lora = { merged, unmatched: deltas.unmatched };
  for (const part of ['vae_encoder', 'vae_decoder'] as const) {
    if (!v.vae) {
      await linkFiles(join(v.base, part), join(v.dir, part));
      parts[part] = { pointed: 0, converted: 0, convertedBytes: 0, linked: true };
      continue;
    }
    stage(`writing ${part}`);
    const built = part === 'vae_encoder' ? buildVaeEncoder(v.vae.tensors) : buildVaeDecoder(v.vae.tensors);
    const r = await writeExternalModel(built.g, built.params.plan, join(v.dir, part), { checkpoint: v.vae.file, signal: v.signal });
    // The part's config.json (its latent scaling factor: SDXL's differs) is the base's.
    const config = join(v.base, part, 'config.json');
    if (existsSync(config)) await copyFile(config, join(v.dir, part, 'config.json'));
    parts[part] = { pointed: r.pointed, converted: r.converted, convertedBytes: r.convertedBytes };
  }
  return { ...(lora ? { lora } : {}), parts };
}
