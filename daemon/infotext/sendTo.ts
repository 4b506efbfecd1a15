// "Send to img2img": GenerationInfo → `sd/img2img` params, shared by the CLI, the daemon and the panels.
// Infotexts go through the same mapping as A1111's paste (pasteParams.ts; another writer's A1111-style text was
// given A1111's names when it was read); other generators' sampler and schedule names are translated to A1111's
// through their family's table (samplerNames.ts).

import { MAX_SEED, parseSeed, seedJson } from '../seed';
import { paramsFromInfotext } from './pasteParams';
import type { ExtrasParams, Img2ImgParams } from '../protocol';
import type { GenerationInfo } from './generationInfo';
import { a1111Names, familyOf, type A1111Names } from './samplerNames';

/** A1111's sampler and schedule for an image's own names, through its writer's family table (samplerNames.ts). */
export function a1111SamplerOf(info: Pick<GenerationInfo, 'format' | 'sampler' | 'scheduleType'>): A1111Names {
  return a1111Names(familyOf(info.format), info.sampler, info.scheduleType);
}

/** The warning for sampler / schedule names with no A1111 equivalent (left to the img2img defaults), or null. */
export function unmappedNamesWarning(info: GenerationInfo): string | null {
  if (info.infotext !== null && info.format === 'a1111') return null;
  const { unmapped } = a1111SamplerOf(info);
  if (!unmapped.length) return null;
  return `${unmapped.map((n) => JSON.stringify(n)).join(' and ')} (${info.generator ?? info.format}) ${unmapped.length > 1 ? 'have' : 'has'} no A1111 equivalent: img2img uses its default sampler and schedule instead`;
}

/** img2img params carrying an image's settings; `initImage` makes it a true img2img (A1111 sends the image). */
export function sendToImg2Img(info: GenerationInfo, initImage?: string): Img2ImgParams | null {
  if (info.format === 'none') return null;
  let p: Img2ImgParams;
  if (info.infotext !== null) p = paramsFromInfotext(info.infotext).params;
  else {
    p = {};
    if (info.prompt !== null) p.prompt = info.prompt;
    if (info.negativePrompt !== null) p.negative_prompt = info.negativePrompt;
    if (info.steps !== null) p.steps = info.steps;
    if (info.cfgScale !== null) p.cfg_scale = info.cfgScale;
    // Seeds up to 2^64 − 1 (ComfyUI, Fooocus) travel exactly: a decimal string beyond 2^53.
    const seed = parseSeed(info.seed);
    if (seed !== undefined && seed >= 0n && seed <= MAX_SEED) p.seed = seedJson(seed);
    if (info.width !== null) p.width = info.width;
    if (info.height !== null) p.height = info.height;
    if (info.denoisingStrength !== null && info.denoisingStrength < 1) p.denoising_strength = info.denoisingStrength;
    const { sampler_name, scheduler } = a1111SamplerOf(info);
    if (sampler_name !== undefined) p.sampler_name = sampler_name;
    if (scheduler !== undefined) p.scheduler = scheduler;
  }
  if (initImage !== undefined) p.init_images = [initImage];
  return p;
}

/** "Send to inpaint": the image's settings, the image itself as the source, and a mask when one is given. */
export function sendToInpaint(info: GenerationInfo, image: string, mask?: string): Img2ImgParams {
  const p = sendToImg2Img(info, image) ?? { init_images: [image] };
  if (mask !== undefined) p.mask = mask;
  return p;
}

/**
 * "Send to extras": the image, with the upscale settings it was made with when its `extras` text says so
 * (A1111's "Postprocess upscale by/to", "Postprocess upscaler", "Postprocess upscaler 2" keys).
 */
export function sendToExtras(info: GenerationInfo, image: string): ExtrasParams {
  const p: ExtrasParams = { images: [image] };
  const f = info.parameters ?? {};
  const str = (key: string): string | undefined => (f[key] === undefined || f[key] === null ? undefined : String(f[key]));
  const by = Number(str('Postprocess upscale by'));
  if (Number.isFinite(by) && by > 0) p.upscaling_resize = by;
  const to = /^(\d+)x(\d+)$/.exec(str('Postprocess upscale to') ?? '');
  if (to) {
    p.resize_mode = 1;
    p.upscaling_resize_w = Number(to[1]);
    p.upscaling_resize_h = Number(to[2]);
  }
  const up1 = str('Postprocess upscaler');
  const up2 = str('Postprocess upscaler 2');
  if (up1) p.upscaler_1 = up1;
  if (up2) p.upscaler_2 = up2;
  return p;
}
