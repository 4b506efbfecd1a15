// A checkpoint FILE given as the model (`--model x.safetensors`, sdStudio.model): build or reuse its ONNX
// folder in the cache (models/checkpointToOnnx.ts) and read it like any diffusers ONNX folder, named after the
// file as A1111 names models. Library errors become model errors that name the file.
import { ArchError } from '../../models/arch/params';
import { ConfigError } from '../../models/arch/archConfig';
import { checkpointTitle, checkpointToOnnx, isCheckpointFile } from '../../models/checkpointToOnnx';
import { UnsupportedCheckpointError } from '../../models/detect';
import { defaultCacheDir } from '../../models/hash';
import { readDiffusersOnnxLayout, type DiffusersOnnxLayout } from '../../models/diffusersOnnx';
import { WeightsError } from '../../models/formats/tensorRecord';
import { invalidParam, modelError } from '../errors';
import { LoraError } from '../../models/lora';
import type { CheckpointVariant } from './sdModel';

/** `cacheLimitBytes`: the cache's size limit, kept after the load (least recently used builds go). */
export async function modelLayout(model: string, variant: CheckpointVariant = {}, cacheLimitBytes?: number): Promise<DiffusersOnnxLayout> {
  if (!isCheckpointFile(model)) return readDiffusersOnnxLayout(model);
  try {
    const loras = variant.loras ?? [];
    const r = await checkpointToOnnx({
      checkpoint: model, prediction: predictionOverride(), ...(loras.length ? { loras: [...loras] } : {}), ...(variant.vae !== undefined ? { vae: variant.vae } : {}),
      ...(cacheLimitBytes !== undefined ? { cacheLimit: { root: defaultCacheDir(), bytes: cacheLimitBytes } } : {}),
      ...(variant.unet ? { unet: variant.unet } : {}),
    });
    if (r.tokenizer === 'missing') {
      throw modelError(model, 'no CLIP tokenizer found to go with it: set SD_STUDIO_TOKENIZER to a folder with vocab.json + merges.txt (openai/clip-vit-large-patch14)', 'a CLIP tokenizer');
    }
    const layout = readDiffusersOnnxLayout(r.dir);
    return { ...layout, parts: { ...layout.parts, unet: r.unet }, name: checkpointTitle(model) };
  } catch (e) {
    if (e instanceof LoraError) throw invalidParam('prompt', e.message);
    if (e instanceof WeightsError || e instanceof UnsupportedCheckpointError || e instanceof ArchError || e instanceof ConfigError) {
      throw modelError(model, e.message.startsWith(model) ? e.message.slice(model.length + 2) : e.message, 'an SD 1.x / 2.x checkpoint');
    }
    throw e;
  }
}

/** SD_STUDIO_PREDICTION=v|epsilon: the "setting" that overrides A1111's guess for every checkpoint. */
function predictionOverride(): 'epsilon' | 'v_prediction' | undefined {
  const v = process.env.SD_STUDIO_PREDICTION;
  return v === 'v' || v === 'v_prediction' ? 'v_prediction' : v === 'eps' || v === 'epsilon' ? 'epsilon' : undefined;
}
