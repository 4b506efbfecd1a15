// /sdapi/v1/txt2img and /img2img: A1111's request JSON → `sd/img2img` params, run on the daemon's job queue like
// any other request, and the result → A1111's response (`images` base64, `parameters` echoing the request,
// `info` as Processed.js()). No generation logic here: names, defaults and shapes only.
import { randomUUID } from 'node:crypto';
import type { Img2ImgParams, SoftInpaintingParams } from '../protocol';
import { resolveSampler } from '../sampling';
import { findCheckpoint, listCheckpoints } from '../modelFiles/checkpoints';
import { HttpError } from './errors';
import { IMG2IMG_FIELDS, parseRequest, TXT2IMG_FIELDS } from './fields';
import { processedInfo } from './info';
import type { ApiContext } from './context';
import { applyStyle, readStyles, stylesFile } from './styles';

type Values = Record<string, unknown>;

/** An image from a client is data, never a path on this machine: bare base64 becomes a data URL. */
export function imageData(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new HttpError(422, `${field}: expected a base64-encoded image`);
  const s = v.trim();
  // A1111 fetches http(s) URLs only with its api_enable_requests option; SD Studio's daemon makes no requests.
  if (/^https?:\/\//i.test(s)) throw new HttpError(500, 'Requests not allowed');
  if (/^data:image\/[a-z0-9.+-]+;base64,/i.test(s)) return s;
  if (!/^[A-Za-z0-9+/=\s_-]+$/.test(s)) throw new HttpError(500, 'Invalid encoded image');
  return `data:image/png;base64,${s}`;
}

/** Fields A1111 honours that SD Studio cannot yet: asked for, they are refused rather than silently dropped. */
const UNSUPPORTED: Array<[string, (v: unknown) => boolean, string]> = [
  ['enable_hr', (v) => v === true, 'hires fix'],
  ['restore_faces', (v) => v === true, 'face restoration during generation (use extra-single-image)'],
  ['tiling', (v) => v === true, 'tiling'],
  ['image_cfg_scale', (v) => typeof v === 'number', 'instruct-pix2pix image CFG'],
  ['firstpass_image', (v) => typeof v === 'string' && v !== '', 'a first-pass image'],
];

/** The "Soft Inpainting" always-on script's args (`soft_inpainting.py: Script.ui` order). */
function softInpainting(scripts: Values): SoftInpaintingParams | undefined {
  let soft: SoftInpaintingParams | undefined;
  for (const [name, value] of Object.entries(scripts)) {
    if (name.toLowerCase() !== 'soft inpainting') throw new HttpError(422, `always on script ${name} not found`);
    const args = (value as { args?: unknown })?.args;
    if (args === undefined) continue;
    if (!Array.isArray(args)) throw new HttpError(422, 'alwayson_scripts["Soft Inpainting"].args: expected a list');
    const [enabled, power, scale, detail, influence, threshold, contrast] = args as unknown[];
    const n = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
    soft = {
      enabled: enabled === true,
      ...(n(power) !== undefined ? { schedule_bias: n(power) } : {}),
      ...(n(scale) !== undefined ? { preservation_strength: n(scale) } : {}),
      ...(n(detail) !== undefined ? { transition_contrast_boost: n(detail) } : {}),
      ...(n(influence) !== undefined ? { mask_influence: n(influence) } : {}),
      ...(n(threshold) !== undefined ? { difference_threshold: n(threshold) } : {}),
      ...(n(contrast) !== undefined ? { difference_contrast: n(contrast) } : {}),
    };
  }
  return soft;
}

/** `infotext` (A1111 1.10's `apply_infotext`): fields the request did not set are taken from the text. */
async function applyInfotext(api: ApiContext, v: Values, set: Set<string>): Promise<void> {
  if (typeof v.infotext !== 'string' || !v.infotext) return;
  const parsed = await api.server.call('sd/infotext.parse', { text: v.infotext });
  for (const [k, value] of Object.entries(parsed.params)) {
    if (k === 'override_settings') continue;
    if (!set.has(k) && value !== undefined) v[k] = value;
  }
  const overrides = { ...(parsed.params.override_settings ?? {}), ...((v.override_settings as Values | null) ?? {}) };
  if (Object.keys(overrides).length) v.override_settings = overrides;
}

/** `override_settings` (+ the /options per-job defaults) → the daemon's; sd_model_checkpoint picks the model. */
async function overrides(api: ApiContext, v: Values, p: Img2ImgParams): Promise<void> {
  const o = { ...api.options.jobOptions(), ...((v.override_settings as Values | null) ?? {}) } as Values;
  const out: NonNullable<Img2ImgParams['override_settings']> = {};
  const keys = [
    'img2img_fix_steps', 'randn_source', 'eta_noise_seed_delta', 'inpainting_mask_weight', 'CLIP_stop_at_last_layers', 'pad_cond_uncond',
    'sdxl_crop_top', 'sdxl_crop_left', 'sdxl_refiner_low_aesthetic_score', 'sdxl_refiner_high_aesthetic_score', 'refiner_switch_by_sample_steps',
    'token_merging_ratio', 'token_merging_ratio_hr', 's_min_uncond', 's_min_uncond_all', 'sd_vae_decode_method', 'sd_vae_encode_method',
  ] as const;
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) Object.assign(out, { [k]: o[k] });
  p.override_settings = out;
  if (p.initial_noise_multiplier === undefined && typeof o.initial_noise_multiplier === 'number') p.initial_noise_multiplier = o.initial_noise_multiplier;
  // The VAE is a daemon setting (one per loaded model), not a per-job choice: asking for another one is refused.
  if (typeof o.sd_vae === 'string' && o.sd_vae !== api.server.settings.sdVae) {
    throw new HttpError(422, `override_settings.sd_vae: "${o.sd_vae}" differs from the daemon's SD VAE ("${api.server.settings.sdVae}"); set it with POST /sdapi/v1/options`);
  }
  if (typeof o.sd_model_checkpoint === 'string' && o.sd_model_checkpoint) {
    const s = api.server.settings;
    const hit = findCheckpoint(await listCheckpoints(s.modelsRoot, s.model), o.sd_model_checkpoint);
    if (!hit) throw new HttpError(404, 'Model not found');
    p.model = hit.filename;
  }
}

const int = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** Check the request and build the daemon's params; returns them with what the response needs. */
export async function toDaemonParams(api: ApiContext, body: unknown, img2img: boolean): Promise<{ params: Img2ImgParams; values: Values; styles: string[] }> {
  const { values: v, set } = parseRequest(body, img2img ? IMG2IMG_FIELDS : TXT2IMG_FIELDS);
  for (const [field, used, what] of UNSUPPORTED) if (used(v[field])) throw new HttpError(422, `${field}: ${what} is not supported by SD Studio yet`);
  if (typeof v.script_name === 'string' && v.script_name) throw new HttpError(422, `Script '${v.script_name}' not found`);
  await applyInfotext(api, v, set);
  const samplerName = (v.sampler_name as string | null) || (v.sampler_index as string | null) || 'Euler';
  try {
    resolveSampler(samplerName, (v.scheduler as string | null) ?? 'Automatic');
  } catch {
    throw new HttpError(400, 'Sampler not found');
  }
  const styleNames = (v.styles as unknown[] | null) ?? [];
  let prompt = (v.prompt as string | null) ?? '';
  let negative = (v.negative_prompt as string | null) ?? '';
  if (styleNames.length) {
    const known = readStyles(stylesFile(api.server.settings.modelsRoot));
    for (const name of styleNames) {
      const style = known.find((s) => s.name === name);
      if (!style) continue; // A1111 skips styles it does not have
      prompt = applyStyle(prompt, style.prompt);
      negative = applyStyle(negative, style.negative_prompt);
    }
  }
  const p: Img2ImgParams = {
    prompt, negative_prompt: negative, sampler_name: samplerName, scheduler: (v.scheduler as string | null) ?? 'Automatic',
    seed: int(v.seed) ?? -1, subseed: int(v.subseed) ?? -1, subseed_strength: int(v.subseed_strength) ?? 0,
    seed_resize_from_h: int(v.seed_resize_from_h) ?? -1, seed_resize_from_w: int(v.seed_resize_from_w) ?? -1,
    batch_size: int(v.batch_size) ?? 1, n_iter: int(v.n_iter) ?? 1, steps: int(v.steps) ?? 50, cfg_scale: int(v.cfg_scale) ?? 7,
    width: int(v.width) ?? 512, height: int(v.height) ?? 512,
    save_images: v.save_images === true, send_images: v.send_images !== false,
    jobId: typeof v.force_task_id === 'string' && v.force_task_id ? v.force_task_id : `task(${randomUUID()})`,
  };
  if (img2img) {
    if (!Array.isArray(v.init_images)) throw new HttpError(404, 'Init image not found');
    p.init_images = v.init_images.map((x, i) => imageData(x, `init_images[${i}]`));
    p.denoising_strength = int(v.denoising_strength) ?? 0.75;
    p.resize_mode = (int(v.resize_mode) ?? 0) as Img2ImgParams['resize_mode'];
    if (v.mask !== null && v.mask !== undefined && v.mask !== '') p.mask = imageData(v.mask, 'mask');
    const blur = int(v.mask_blur);
    p.mask_blur_x = blur ?? int(v.mask_blur_x) ?? 4;
    p.mask_blur_y = blur ?? int(v.mask_blur_y) ?? 4;
    p.inpainting_fill = (int(v.inpainting_fill) ?? 0) as Img2ImgParams['inpainting_fill'];
    p.inpaint_full_res = v.inpaint_full_res !== false;
    p.inpaint_full_res_padding = int(v.inpaint_full_res_padding) ?? 0;
    p.inpainting_mask_invert = (int(v.inpainting_mask_invert) ? 1 : 0) as 0 | 1;
    if (typeof v.initial_noise_multiplier === 'number') p.initial_noise_multiplier = v.initial_noise_multiplier;
    const soft = softInpainting((v.alwayson_scripts as Values | null) ?? {});
    if (soft) p.soft_inpainting = soft;
  } else {
    softInpainting((v.alwayson_scripts as Values | null) ?? {});
  }
  // A1111's Refiner (SDXL): the checkpoint by title or name, as the daemon finds it under Stable-diffusion/.
  if (typeof v.refiner_checkpoint === 'string' && v.refiner_checkpoint !== '' && v.refiner_checkpoint !== 'None') {
    p.refiner_checkpoint = v.refiner_checkpoint;
    if (typeof v.refiner_switch_at === 'number') p.refiner_switch_at = v.refiner_switch_at;
  }
  // A1111's `s_min_uncond` field (None: the option, which override_settings / the daemon setting give).
  if (typeof v.s_min_uncond === 'number') p.s_min_uncond = v.s_min_uncond;
  await overrides(api, v, p);
  return { params: p, values: v, styles: styleNames.filter((s): s is string => typeof s === 'string') };
}

/** Run one txt2img/img2img request and answer it as A1111 does. */
export async function generate(api: ApiContext, body: unknown, img2img: boolean): Promise<Record<string, unknown>> {
  const { params, values, styles } = await toDaemonParams(api, body, img2img);
  const started = new Date();
  api.progress.label(params.jobId!, img2img ? 'scripts_img2img' : 'scripts_txt2img');
  const r = await api.server.call('sd/img2img', params);
  const echo = { ...values };
  if (img2img && values.include_init_images !== true) {
    echo.init_images = null;
    echo.mask = null;
  }
  return {
    images: values.send_images === false ? [] : r.images.map((i) => i.png ?? ''),
    parameters: echo,
    info: JSON.stringify(processedInfo(r, { prompt: params.prompt ?? '', negativePrompt: params.negative_prompt ?? '', styles, batchSize: params.batch_size ?? 1, isImg2Img: img2img, started })),
  };
}
