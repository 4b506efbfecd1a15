import type { InfotextValue } from '../infotext/a1111';
import { resolvePromptLoras } from '../modelFiles/loras';
import { resolveSdVae, vaeInfotext } from '../modelFiles/sdVae';
import type { SdModel } from '../parts/sdModel';
import type { VaeMethod } from '../protocol';
import { withVaeChoice } from '../stages/vaeChoice';
import type { ResolvedImg2Img } from '../validate';
import type { PipelineDeps } from './img2img';

export interface LoadedModel {
  /** The model as the job uses it: its VAE the job's choice (TAESD, tiles: stages/vaeChoice.ts). */
  model: SdModel;
  /** Infotext "Lora hashes" of the prompt's LoRA tags. */
  loraHashes: string | undefined;
  /** Infotext "VAE hash" / "VAE" of a separately loaded VAE. */
  vaeInfo: { vaeHash?: string; vaeName?: string };
  /** The loaded UNet graph merges tokens by its ratio input (false for ONNX folders, whose graph is fixed). */
  tokenMerging: boolean;
}

/** The speed options that decide which graphs a job loads. */
export interface ModelSpeed {
  /** Some pass of the job merges tokens: the UNet graph with token merging (at ratio 0 it runs as the plain one). */
  tokenMerging: boolean;
  /** A1111's VAE types for decode / encode, and the size decoded at (automatic tiling). */
  vae: { decode: VaeMethod; encode: VaeMethod; width: number; height: number };
}

/** The job's speed options at a processing size (the hires pass decodes at its own). */
export function jobSpeed(p: ResolvedImg2Img, width: number, height: number): ModelSpeed {
  return {
    tokenMerging: p.tokenMergingRatio > 0 || (p.hires?.tokenMergingRatio ?? 0) > 0,
    vae: { decode: p.vaeDecode, encode: p.vaeEncode, width, height },
  };
}

/**
 * The SD model a prompt runs on: the model file or folder with the prompt's `<lora:…>` tags merged in, the SD
 * VAE setting applied, and the graphs the speed options ask for (the UNet precision setting, token merging, the
 * VAE types). The model manager keeps one model loaded: asking again for the same is free. LoRA tags naming no
 * file, or files that cannot be read, are skipped with a `warn`ing.
 */
export async function modelFor(
  deps: PipelineDeps, path: string, prompt: string, sdVae = deps.settings.sdVae, speed?: ModelSpeed, warn: (message: string) => void = () => undefined,
): Promise<LoadedModel> {
  const loras = await resolvePromptLoras(prompt, deps.settings.modelsRoot, warn);
  const vae = resolveSdVae(sdVae, deps.settings.modelsRoot, path);
  const unet = { tokenMerging: speed?.tokenMerging ?? false, precision: deps.settings.unetPrecision };
  const loaded = await deps.models.get(path, { loras: loras.apply, ...(vae !== undefined ? { vae } : {}), unet });
  // A1111 merges tokens at the highest resolution only (tomesd max_downsample 1), where SDXL's UNet has no
  // attention: the ratio changes nothing. A1111 still writes it to the infotext, and so do we; the job says so.
  if (speed?.tokenMerging && loaded.kind !== 'sd') warn('token merging does nothing on SDXL models (A1111 merges at the highest resolution only, where SDXL\'s UNet has no attention): the image is the unmerged one, as in A1111');
  const model = speed ? await withVaeChoice(loaded, { ...speed.vae, tiling: deps.settings.vaeTiling, modelsRoot: deps.settings.modelsRoot }) : loaded;
  return { model, loraHashes: loras.hashes, vaeInfo: await vaeInfotext(vae), tokenMerging: loaded.unetVariant.tokenMerging === true };
}

export type InfoEntries = Array<[string, InfotextValue]>;
