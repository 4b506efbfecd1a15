// /sdapi/v1/txt2img and /img2img: A1111's request JSON → `sd/img2img` params, run on the daemon's job queue like
// any other request, and the result → A1111's response (`images` base64, `parameters` echoing the request,
// `info` as Processed.js()); `script_name` runs the script's own method instead. No generation logic here: names,
// defaults and shapes only.
import { randomUUID } from 'node:crypto';
import type { GenerationResult, Img2ImgParams } from '../protocol';
import { resolveSampler } from '../sampling';
import { HttpError } from './errors';
import { FORGE_TXT2IMG_FIELDS, IMG2IMG_FIELDS, parseRequest, TXT2IMG_FIELDS } from './fields';
import { processedInfo } from './info';
import type { ApiContext } from './context';
import { applyOverrides, checkpointFile } from './overrides';
import { selectableScript, softInpainting } from './scripts';
import type { ScriptRun, Tab } from './scriptArgs';

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
  ['tiling', (v) => v === true, 'tiling'],
  ['image_cfg_scale', (v) => typeof v === 'number', 'instruct-pix2pix image CFG'],
  ['firstpass_image', (v) => typeof v === 'string' && v !== '', 'a first-pass image'],
];

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

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * txt2img's hires fix (`StableDiffusionProcessingTxt2Img`) onto the daemon's hires fields. The old API's
 * `firstphase_width/height` become the first pass's size (`__post_init__`), which `hr_scale` then multiplies.
 */
function hires(v: Values, forge: Values, p: Img2ImgParams, checkpoints: (title: string) => Promise<string>): Promise<void> | void {
  const fw = num(v.firstphase_width) ?? 0;
  const fh = num(v.firstphase_height) ?? 0;
  if (fw !== 0 || fh !== 0) Object.assign(p, { width: fw, height: fh });
  if (v.enable_hr !== true) return;
  Object.assign(p, {
    enable_hr: true,
    denoising_strength: num(v.denoising_strength) ?? 0.75,
    hr_scale: num(v.hr_scale) ?? 2,
    hr_second_pass_steps: num(v.hr_second_pass_steps) ?? 0,
    hr_resize_x: num(v.hr_resize_x) ?? 0,
    hr_resize_y: num(v.hr_resize_y) ?? 0,
    hr_prompt: (v.hr_prompt as string | null) ?? '',
    hr_negative_prompt: (v.hr_negative_prompt as string | null) ?? '',
  });
  const upscaler = text(v.hr_upscaler);
  if (upscaler) p.hr_upscaler = upscaler;
  const sampler = text(v.hr_sampler_name);
  if (sampler) p.hr_sampler_name = sampler;
  const scheduler = text(v.hr_scheduler);
  if (scheduler) p.hr_scheduler = scheduler;
  const cfg = num(forge.hr_cfg);
  if (cfg !== undefined) p.hr_cfg = cfg;
  const checkpoint = text(v.hr_checkpoint_name);
  if (!checkpoint || checkpoint === 'Use same checkpoint') return;
  return checkpoints(checkpoint).then((file) => void (p.hr_checkpoint_name = file));
}

/** What a request asks for: the daemon's params, the script to run them through, and what the response echoes. */
export interface ApiJob {
  params: Img2ImgParams;
  values: Values;
  /** Forge's fields the request set (echoed with the rest). */
  forge: Values;
  styles: string[];
  script?: { run: (api: ApiContext, params: Img2ImgParams, args: readonly unknown[], tab: Tab) => Promise<ScriptRun>; args: unknown[] };
}

/** Check the request and build the daemon's params (`text2imgapi` / `img2imgapi` up to the queue). */
export async function toDaemonParams(api: ApiContext, body: unknown, img2img: boolean): Promise<ApiJob> {
  const tab: Tab = img2img ? 'img2img' : 'txt2img';
  const { values: v, set } = parseRequest(body, img2img ? IMG2IMG_FIELDS : TXT2IMG_FIELDS);
  const forgeReq = img2img ? { values: {}, set: new Set<string>() } : parseRequest(body, FORGE_TXT2IMG_FIELDS);
  const forge = Object.fromEntries([...forgeReq.set].map((k) => [k, forgeReq.values[k]]));
  for (const [field, used, what] of UNSUPPORTED) if (used(v[field])) throw new HttpError(422, `${field}: ${what} is not supported by SD Studio yet`);
  await applyInfotext(api, v, set);
  const script = selectableScript(v.script_name, tab);
  const samplerName = (v.sampler_name as string | null) || (v.sampler_index as string | null) || 'Euler';
  try {
    resolveSampler(samplerName, (v.scheduler as string | null) ?? 'Automatic');
  } catch {
    throw new HttpError(400, 'Sampler not found');
  }
  const styles = ((v.styles as unknown[] | null) ?? []).filter((s): s is string => typeof s === 'string');
  // The daemon applies styles from its styles.csv; A1111 skips names the file does not have.
  const known = styles.length ? new Set((await api.server.call('sd/styles.list', {})).styles.map((s) => s.name)) : new Set<string>();
  const p: Img2ImgParams = {
    prompt: (v.prompt as string | null) ?? '', negative_prompt: (v.negative_prompt as string | null) ?? '', styles: styles.filter((s) => known.has(s)),
    sampler_name: samplerName, scheduler: (v.scheduler as string | null) ?? 'Automatic',
    seed: num(v.seed) ?? -1, subseed: num(v.subseed) ?? -1, subseed_strength: num(v.subseed_strength) ?? 0,
    seed_resize_from_h: num(v.seed_resize_from_h) ?? -1, seed_resize_from_w: num(v.seed_resize_from_w) ?? -1,
    batch_size: num(v.batch_size) ?? 1, n_iter: num(v.n_iter) ?? 1, steps: num(v.steps) ?? 50, cfg_scale: num(v.cfg_scale) ?? 7,
    width: num(v.width) ?? 512, height: num(v.height) ?? 512,
    // `do_not_save_samples` / `do_not_save_grid` = not save_images (`text2imgapi`).
    save_images: v.save_images === true, send_images: true, do_not_save_grid: v.save_images !== true,
    jobId: typeof v.force_task_id === 'string' && v.force_task_id ? v.force_task_id : `task(${randomUUID()})`,
  };
  const scripts = (v.alwayson_scripts as Values | null) ?? {};
  if (img2img) {
    if (!Array.isArray(v.init_images)) throw new HttpError(404, 'Init image not found');
    p.init_images = v.init_images.map((x, i) => imageData(x, `init_images[${i}]`));
    p.denoising_strength = num(v.denoising_strength) ?? 0.75;
    p.resize_mode = (num(v.resize_mode) ?? 0) as Img2ImgParams['resize_mode'];
    if (v.mask !== null && v.mask !== undefined && v.mask !== '') p.mask = imageData(v.mask, 'mask');
    const blur = num(v.mask_blur);
    p.mask_blur_x = blur ?? num(v.mask_blur_x) ?? 4;
    p.mask_blur_y = blur ?? num(v.mask_blur_y) ?? 4;
    p.inpainting_fill = (num(v.inpainting_fill) ?? 0) as Img2ImgParams['inpainting_fill'];
    p.inpaint_full_res = v.inpaint_full_res !== false;
    p.inpaint_full_res_padding = num(v.inpaint_full_res_padding) ?? 0;
    p.inpainting_mask_invert = (num(v.inpainting_mask_invert) ? 1 : 0) as 0 | 1;
    if (typeof v.initial_noise_multiplier === 'number') p.initial_noise_multiplier = v.initial_noise_multiplier;
    const soft = softInpainting(scripts, tab);
    if (soft) p.soft_inpainting = soft;
  } else {
    softInpainting(scripts, tab);
    await hires(v, forge, p, (title) => checkpointFile(api, title, 'hr_checkpoint_name'));
  }
  // A1111's Refiner (SDXL): the checkpoint by title or name, as the daemon finds it under Stable-diffusion/.
  if (typeof v.refiner_checkpoint === 'string' && v.refiner_checkpoint !== '' && v.refiner_checkpoint !== 'None') {
    p.refiner_checkpoint = v.refiner_checkpoint;
    if (typeof v.refiner_switch_at === 'number') p.refiner_switch_at = v.refiner_switch_at;
  }
  // A1111's `s_min_uncond` field (None: the option, which override_settings / the daemon setting give).
  if (typeof v.s_min_uncond === 'number') p.s_min_uncond = v.s_min_uncond;
  await applyOverrides(api, v, p);
  return { params: p, values: v, forge, styles, ...(script ? { script: { run: script.run, args: Array.isArray(v.script_args) ? v.script_args : [] } } : {}) };
}

/** Run one txt2img/img2img request and answer it as A1111 does: grids first, then the images. */
export async function generate(api: ApiContext, body: unknown, img2img: boolean): Promise<Record<string, unknown>> {
  const tab: Tab = img2img ? 'img2img' : 'txt2img';
  const job = await toDaemonParams(api, body, img2img);
  const { params, values } = job;
  const started = new Date();
  api.progress.label(params.jobId!, `scripts_${tab}`);
  const run: ScriptRun = job.script ? await job.script.run(api, params, job.script.args, tab) : { result: await api.server.call('sd/img2img', params), singles: true };
  const r: GenerationResult = run.result;
  const echo = { ...values, ...job.forge };
  if (img2img && values.include_init_images !== true) {
    echo.init_images = null;
    echo.mask = null;
  }
  const returned = [...(r.grids ?? []), ...(run.singles ? r.images : [])];
  const o = params.override_settings ?? {};
  return {
    images: values.send_images === false ? [] : returned.map((i) => i.png ?? ''),
    parameters: echo,
    info: JSON.stringify(processedInfo(r, {
      prompt: params.prompt ?? '', negativePrompt: params.negative_prompt ?? '', styles: job.styles, batchSize: params.batch_size ?? 1, started,
      denoisingStrength: num(values.denoising_strength) ?? null,
      faceRestoration: params.restore_faces ? (o.face_restoration_model ?? (api.server.settings.defaultFaceRestorer === 'gfpgan' ? 'GFPGAN' : 'CodeFormer')) : null,
    })),
  };
}
