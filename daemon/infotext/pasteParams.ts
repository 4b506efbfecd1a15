import { parseGenerationParameters } from './a1111';
import type { Img2ImgParams, InfotextParseResult, SeedJson } from '../protocol';
import { parseSeed, seedJson } from '../seed';
import { notHonouredKeys, notHonouredWarning } from './notHonoured';

/** A1111's "Masked content" labels by `inpainting_fill` index. */
const MASKED_CONTENT = ['fill', 'original', 'latent noise', 'latent nothing'];

const toInt = (v: string | undefined): number | undefined => (v !== undefined && /^-?\d+$/.test(v.trim()) ? Number(v) : undefined);
/** Seeds up to 2^64 − 1 stay exact (a decimal string beyond 2^53). */
const toSeed = (v: string | undefined): SeedJson | undefined => {
  const s = v !== undefined && /^-?\d+$/.test(v.trim()) ? parseSeed(v.trim()) : undefined;
  return s === undefined ? undefined : seedJson(s);
};
const toNum = (v: string | undefined): number | undefined => (v !== undefined && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

/**
 * The hires fix keys (`txt2img` paste): present "Hires upscale" or a non-zero "Hires resize" turn it on. The parse
 * fills "Use same …" and empty Hires prompts by default; those mean "the first pass's" and are left out.
 */
function pasteHires(f: Record<string, string>, params: Img2ImgParams): void {
  const rx = toInt(f['Hires resize-1']) ?? 0;
  const ry = toInt(f['Hires resize-2']) ?? 0;
  const scale = toNum(f['Hires upscale']);
  if (scale === undefined && rx === 0 && ry === 0) return;
  params.enable_hr = true;
  if (scale !== undefined) params.hr_scale = scale;
  if (rx || ry) Object.assign(params, { hr_resize_x: rx, hr_resize_y: ry });
  const steps = toInt(f['Hires steps']);
  if (steps !== undefined) params.hr_second_pass_steps = steps;
  if (f['Hires upscaler'] !== undefined) params.hr_upscaler = f['Hires upscaler'];
  const same = (v: string | undefined, what: string): string | undefined => (v === undefined || v === '' || v === `Use same ${what}` ? undefined : v);
  const sampler = same(f['Hires sampler'], 'sampler');
  if (sampler) params.hr_sampler_name = sampler;
  const scheduler = same(f['Hires schedule type'], 'scheduler');
  if (scheduler) params.hr_scheduler = scheduler;
  const checkpoint = same(f['Hires checkpoint'], 'checkpoint');
  if (checkpoint) params.hr_checkpoint_name = checkpoint;
  if (f['Hires prompt']) params.hr_prompt = f['Hires prompt'];
  if (f['Hires negative prompt']) params.hr_negative_prompt = f['Hires negative prompt'];
  const cfg = toNum(f['Hires CFG Scale']);
  if (cfg !== undefined) params.hr_cfg = cfg;
}

/**
 * An A1111 infotext → img2img params, as A1111's "paste" does: the fields it carries override, the rest stay
 * at their defaults. Every key is also returned raw (`fields`), unknown ones included.
 */
export function paramsFromInfotext(text: string): InfotextParseResult {
  const parsed = parseGenerationParameters(text);
  const f = parsed.fields;
  const params: Img2ImgParams = { prompt: parsed.prompt, negative_prompt: parsed.negativePrompt };
  const set = <K extends keyof Img2ImgParams>(key: K, value: Img2ImgParams[K] | undefined): void => {
    if (value !== undefined) params[key] = value;
  };
  set('steps', toInt(f['Steps']));
  set('sampler_name', f['Sampler']);
  set('scheduler', f['Schedule type']);
  set('cfg_scale', toNum(f['CFG scale']));
  set('seed', toSeed(f['Seed']));
  set('width', toInt(f['Size-1']));
  set('height', toInt(f['Size-2']));
  set('denoising_strength', toNum(f['Denoising strength']));
  if (toNum(f['Variation seed strength'])) {
    set('subseed', toSeed(f['Variation seed']));
    set('subseed_strength', toNum(f['Variation seed strength']));
  }
  set('seed_resize_from_w', toInt(f['Seed resize from-1']));
  set('seed_resize_from_h', toInt(f['Seed resize from-2']));
  // Inpaint settings: A1111 fills Mask mode / Masked content / Inpaint area / padding with defaults in every parse,
  // so they are taken only from inpaint infotexts, which always carry "Mask blur".
  if (f['Mask blur'] !== undefined) {
    set('mask_blur', toInt(f['Mask blur']));
    if (f['Mask mode'] !== undefined) params.inpainting_mask_invert = f['Mask mode'] === 'Inpaint not masked' ? 1 : 0;
    const fill = MASKED_CONTENT.indexOf(f['Masked content'] ?? '');
    if (fill >= 0) params.inpainting_fill = fill as 0 | 1 | 2 | 3;
    if (f['Inpaint area'] !== undefined) params.inpaint_full_res = f['Inpaint area'] === 'Only masked';
    set('inpaint_full_res_padding', toInt(f['Masked area padding']));
  }
  set('initial_noise_multiplier', toNum(f['Noise multiplier']));
  pasteHires(f, params);
  // SDXL refiner: A1111 pastes the title ("name [hash]") and finds the checkpoint by it.
  set('refiner_checkpoint', f['Refiner']);
  set('refiner_switch_at', toNum(f['Refiner switch at']));
  const overrides: NonNullable<Img2ImgParams['override_settings']> = {};
  const rng = f['RNG'];
  if (rng === 'GPU' || rng === 'CPU' || rng === 'NV') overrides.randn_source = rng;
  const ensd = toInt(f['ENSD']);
  if (ensd !== undefined) overrides.eta_noise_seed_delta = ensd;
  const clipSkip = toInt(f['Clip skip']);
  if (clipSkip !== undefined && clipSkip > 1) overrides.CLIP_stop_at_last_layers = clipSkip;
  if (f['Pad conds'] === 'True') overrides.pad_cond_uncond = true;
  const restorer = f['Face restoration'];
  if (restorer === 'CodeFormer' || restorer === 'GFPGAN') {
    params.restore_faces = true;
    overrides.face_restoration_model = restorer;
  }
  const maskWeight = toNum(f['Conditional mask weight']);
  if (maskWeight !== undefined) overrides.inpainting_mask_weight = maskWeight;
  if (f['Refiner switch by sampling steps'] === 'True') overrides.refiner_switch_by_sample_steps = true;
  // A1111 infotext_to_setting_name_mapping: these keys set options, not processing fields.
  for (const [key, setting] of [['Token merging ratio', 'token_merging_ratio'], ['Token merging ratio hr', 'token_merging_ratio_hr'], ['NGMS', 's_min_uncond']] as const) {
    const v = toNum(f[key]);
    if (v !== undefined) overrides[setting] = v;
  }
  if (f['NGMS all steps'] === 'True') overrides.s_min_uncond_all = true;
  for (const [key, setting] of [['VAE Decoder', 'sd_vae_decode_method'], ['VAE Encoder', 'sd_vae_encode_method']] as const) {
    const v = f[key];
    if (v === 'Full' || v === 'TAESD') overrides[setting] = v;
  }
  if (Object.keys(overrides).length) params.override_settings = overrides;
  const aesthetic = aestheticFromFields(f);
  if (aesthetic) params.aesthetic = aesthetic;
  const notHonoured = notHonouredKeys(f);
  return { params, fields: f, notHonoured, warning: notHonouredWarning(notHonoured) ?? null };
}

/** The aesthetic extension's infotext_fields: its eight keys back into its settings (an embedding is required). */
function aestheticFromFields(f: Record<string, string>): Img2ImgParams['aesthetic'] {
  const embedding = f['Aesthetic embedding'];
  if (!embedding || embedding === 'None') return undefined;
  const a: NonNullable<Img2ImgParams['aesthetic']> = { embedding };
  const lr = toNum(f['Aesthetic LR']);
  if (lr !== undefined) a.lr = lr;
  const weight = toNum(f['Aesthetic weight']);
  if (weight !== undefined) a.weight = weight;
  const steps = toInt(f['Aesthetic steps']);
  if (steps !== undefined) a.steps = steps;
  if (f['Aesthetic slerp'] !== undefined) a.slerp = f['Aesthetic slerp'] === 'True';
  if (f['Aesthetic text'] !== undefined) a.text = f['Aesthetic text'];
  if (f['Aesthetic text negative'] !== undefined) a.text_negative = f['Aesthetic text negative'] === 'True';
  const angle = toNum(f['Aesthetic slerp angle']);
  if (angle !== undefined) a.slerp_angle = angle;
  return a;
}
