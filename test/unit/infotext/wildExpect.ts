// What the wild-format tests compare: the settings fields of an image read back, and the A1111 names send-to gives.
import type { FileInfo } from '../../../daemon/infotext/readInfo';
import { sendToImg2Img } from '../../../daemon/infotext/sendTo';
import { resolveSampler } from '../../../daemon/sampling';
import { textChunk, tinyPng, withChunks } from './wildWriters';

/** A tiny PNG carrying text chunks (keyword, text), written as PIL's PngInfo.add_text writes them. */
export const png = (chunks: Array<[string, string]>, size = 8): Uint8Array => withChunks(tinyPng(size, size), chunks.map(([k, v]) => textChunk(k, v)));

/** The settings fields that matter, for one deepEqual per image. */
export const fields = (i: FileInfo) => ({
  format: i.format, generator: i.generator, prompt: i.prompt, negativePrompt: i.negativePrompt, steps: i.steps, sampler: i.sampler,
  scheduleType: i.scheduleType, cfgScale: i.cfgScale, seed: i.seed, width: i.width, height: i.height, model: i.model, modelHash: i.modelHash,
  denoisingStrength: i.denoisingStrength, guessed: i.guessed,
});

/** Send-to params carry A1111 names img2img accepts. */
export function sendNames(i: FileInfo): { sampler_name?: string; scheduler?: string } {
  const p = sendToImg2Img(i)!;
  if (p.sampler_name !== undefined) resolveSampler(p.sampler_name, p.scheduler); // throws on a name img2img would reject
  return { ...(p.sampler_name !== undefined ? { sampler_name: p.sampler_name } : {}), ...(p.scheduler !== undefined ? { scheduler: p.scheduler } : {}) };
}
