import type { InfotextValue } from '../infotext/a1111';
import { resolvePromptLoras } from '../modelFiles/loras';
import { resolveSdVae, vaeInfotext } from '../modelFiles/sdVae';
import type { SdModel } from '../parts/sdModel';
import type { PipelineDeps } from './img2img';

export interface LoadedModel {
  model: SdModel;
  /** Infotext "Lora hashes" of the prompt's LoRA tags. */
  loraHashes: string | undefined;
  /** Infotext "VAE hash" / "VAE" of a separately loaded VAE. */
  vaeInfo: { vaeHash?: string; vaeName?: string };
}

/**
 * The SD model a prompt runs on: the model file or folder with the prompt's `<lora:…>` tags merged in and the SD
 * VAE setting applied (the model manager keeps one model loaded: asking again for the same is free). LoRA tags
 * naming no file, or files that cannot be read, are skipped with a `warn`ing.
 */
export async function modelFor(deps: PipelineDeps, path: string, prompt: string, sdVae = deps.settings.sdVae, warn: (message: string) => void = () => undefined): Promise<LoadedModel> {
  const loras = await resolvePromptLoras(prompt, deps.settings.modelsRoot, warn);
  const vae = resolveSdVae(sdVae, deps.settings.modelsRoot, path);
  const model = await deps.models.get(path, { loras: loras.apply, ...(vae !== undefined ? { vae } : {}) });
  return { model, loraHashes: loras.hashes, vaeInfo: await vaeInfotext(vae) };
}

export type InfoEntries = Array<[string, InfotextValue]>;
