// "Send to img2img": GenerationInfo → `sd/img2img` params, shared by the CLI, the daemon and the panels.
// A1111 infotexts go through the same mapping as A1111's paste (pasteParams.ts); other generators' names
// for samplers and schedules are translated to A1111's display names.

import { MAX_SEED, parseSeed, seedJson } from '../seed';
import { paramsFromInfotext } from './pasteParams';
import type { ExtrasParams, Img2ImgParams } from '../protocol';
import type { GenerationInfo } from './generationInfo';

// ComfyUI / NovelAI (k_…) / InvokeAI / Fooocus sampler ids → A1111 names (reference §11.1).
const SAMPLERS: Record<string, string> = {
  euler: 'Euler', euler_a: 'Euler a', euler_ancestral: 'Euler a', heun: 'Heun', lms: 'LMS', dpm_2: 'DPM2',
  dpm_2_ancestral: 'DPM2 a', dpm_2_a: 'DPM2 a', dpmpp_2s_ancestral: 'DPM++ 2S a', dpmpp_2s_a: 'DPM++ 2S a',
  dpmpp_sde: 'DPM++ SDE', dpmpp_sde_gpu: 'DPM++ SDE', dpmpp_2m: 'DPM++ 2M', dpmpp_2m_sde: 'DPM++ 2M SDE',
  dpmpp_2m_sde_gpu: 'DPM++ 2M SDE', dpmpp_3m_sde: 'DPM++ 3M SDE', dpmpp_3m_sde_gpu: 'DPM++ 3M SDE',
  dpm_fast: 'DPM fast', dpm_adaptive: 'DPM adaptive', ddim: 'DDIM', plms: 'PLMS', uni_pc: 'UniPC', unipc: 'UniPC',
  lcm: 'LCM', restart: 'Restart', deis: 'DEIS', ipndm: 'IPNDM',
};
const SCHEDULES: Record<string, string> = {
  karras: 'Karras', exponential: 'Exponential', normal: 'Automatic', simple: 'Simple', sgm_uniform: 'SGM Uniform',
  ddim_uniform: 'DDIM', beta: 'Beta', kl_optimal: 'KL Optimal', polyexponential: 'Polyexponential', align_your_steps: 'Align Your Steps',
  native: 'Automatic',
};

/** A1111 sampler and schedule for another generator's ids ("k_euler_ancestral", "dpmpp_2m_k", "sample_dpmpp_2m"). */
export function a1111Sampler(sampler: string | null, schedule: string | null): { sampler_name?: string; scheduler?: string } {
  const out: { sampler_name?: string; scheduler?: string } = {};
  if (sampler) {
    let id = sampler.toLowerCase().replace(/^sample_/, '').replace(/^k_/, '');
    if (id.endsWith('_k') || id.endsWith('_karras')) {
      id = id.replace(/_k(arras)?$/, '');
      out.scheduler = 'Karras'; // InvokeAI's "…_k" samplers
    }
    out.sampler_name = SAMPLERS[id] ?? sampler;
  }
  if (schedule) out.scheduler = SCHEDULES[schedule.toLowerCase()] ?? schedule;
  return out;
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
    Object.assign(p, a1111Sampler(info.sampler, info.scheduleType));
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
