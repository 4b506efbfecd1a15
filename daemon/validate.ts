import { invalidParam } from './errors';
import { MAX_SEED, fixedSeed, parseSeed } from './seed';
import type { DaemonSettings, Img2ImgParams, ResizeMode, VaeMethod } from './protocol';
import { resolveSaveOptions, type SaveOptions } from './output/saveOptions';
import type { RefinerRequest } from './stages/refiner';

/** img2img params after A1111's defaults are applied and every field is checked. */
export interface ResolvedImg2Img {
  prompt: string;
  negativePrompt: string;
  initImages: string[];
  /** True with an init image; without one the same stages run txt2img. */
  isImg2Img: boolean;
  /**
   * img2img's denoising strength, undefined for txt2img: decided here once, so planning (full schedule vs A1111's
   * truncation), the infotext ("Denoising strength") and the filename context cannot disagree.
   */
  denoisingStrength: number | undefined;
  cfgScale: number;
  samplerName: string;
  scheduler: string;
  steps: number;
  /** Resolved (never -1); 0 … 2^64 − 1. */
  seed: bigint;
  subseed: bigint;
  subseedStrength: number;
  seedResizeFromH: number;
  seedResizeFromW: number;
  width: number;
  height: number;
  resizeMode: ResizeMode;
  nIter: number;
  batchSize: number;
  model: string;
  saveImages: boolean;
  sendImages: boolean;
  outdir: string;
  fixSteps: boolean;
  randnSource: 'GPU' | 'CPU' | 'NV';
  ensd: number;
  /** A1111 `CLIP_stop_at_last_layers` (1 = off; SD1 text encoders only, as in A1111). */
  clipSkip: number;
  /** A1111 `pad_cond_uncond` ("Pad prompt/negative prompt"), default off. */
  padCondUncond: boolean;
  /** A1111 initial noise multiplier (1 = off). */
  initialNoiseMultiplier: number;
  /** A1111 s_min_uncond (NGMS), 0 = off, and s_min_uncond_all. */
  sMinUncond: number;
  sMinUncondAll: boolean;
  /** A1111 `get_token_merging_ratio` for img2img: the job's, else the override, else the setting (0 = off). */
  tokenMergingRatio: number;
  /** A1111 "VAE type for decode / encode". */
  vaeDecode: VaeMethod;
  vaeEncode: VaeMethod;
  /** Inpainting settings; `mask` undefined when there is no mask. */
  inpaint: ResolvedInpaint;
  /** SDXL's crop coordinates and the refiner's aesthetic scores (A1111 settings, per-job overridable). */
  sdxl: { cropTop: number; cropLeft: number; highAestheticScore: number; lowAestheticScore: number };
  /** Width and height were given (SDXL models otherwise default to 1024, SD 1.x/2.x to 512). */
  sizeGiven: { width: boolean; height: boolean };
  /** A1111's refiner as asked for (found and checked by the refiner stage); undefined when not asked for. */
  refiner?: RefinerRequest;
  /** A1111 "Restore faces": the restorer and CodeFormer's weight; undefined when off. */
  restoreFaces?: { model: 'gfpgan' | 'codeformer'; codeformerWeight: number };
  /** txt2img hires fix; undefined when off (and always for img2img, which has no hires pass in A1111). */
  hires?: ResolvedHires;
  /** A1111 styles to apply (names in styles.csv), in order; the pipeline applies them to the prompts. */
  styles: string[];
  /** The prompt as given, before styles (`[prompt_no_styles]`). */
  promptNoStyles: string;
  /** A1111's saving options for this job (settings with `override_settings` on top). */
  save: SaveOptions;
  /** A1111 `do_not_save_grid`. */
  noGrid: boolean;
  /** A1111 "SD VAE" for this job (`override_settings.sd_vae`, else the setting). */
  sdVae: string;
  /** The aesthetic-gradients extension's settings; undefined when no embedding is chosen. */
  aesthetic?: ResolvedAesthetic;
}

/** A1111's latent upscale modes (`shared.latent_upscale_modes`): torch interpolate mode and antialias. */
export const LATENT_UPSCALE_MODES: Readonly<Record<string, { mode: 'nearest' | 'nearest-exact' | 'bilinear' | 'bicubic'; antialias: boolean }>> = {
  Latent: { mode: 'bilinear', antialias: false },
  'Latent (antialiased)': { mode: 'bilinear', antialias: true },
  'Latent (bicubic)': { mode: 'bicubic', antialias: false },
  'Latent (bicubic antialiased)': { mode: 'bicubic', antialias: true },
  'Latent (nearest)': { mode: 'nearest', antialias: false },
  'Latent (nearest-exact)': { mode: 'nearest-exact', antialias: false },
};

/** The hires fix fields (`StableDiffusionProcessingTxt2Img`) after defaults; "Use same …" became undefined. */
export interface ResolvedHires {
  /** "Upscale by" (used when both resize sides are 0). */
  scale: number;
  /** "Resize width to" / "Resize height to"; 0 = follow the other side (both 0: use `scale`). */
  resizeX: number;
  resizeY: number;
  /** The upscaler as given; undefined = A1111's default latent mode ("Latent"), and no "Hires upscaler" key. */
  upscaler: string | undefined;
  /** 0 = as many as the first pass ("Hires steps" is written only when > 0). */
  steps: number;
  denoisingStrength: number;
  samplerName: string | undefined;
  scheduler: string | undefined;
  /** '' = the prompt / negative prompt of the first pass. */
  prompt: string;
  negativePrompt: string;
  /** Forge's "Hires CFG Scale"; undefined = the first pass's CFG scale. */
  cfgScale: number | undefined;
  checkpoint: string | undefined;
  /** A1111 `get_token_merging_ratio(for_hr=True)`: `token_merging_ratio_hr`, else the first pass's ratio (0 = off). */
  tokenMergingRatio: number;
}

const SAME = (v: string | undefined, word: string): string | undefined => (v === undefined || v === '' || v === `Use same ${word}` ? undefined : v);

function resolveHires(p: Img2ImgParams, firstPassTome: number): ResolvedHires | undefined {
  if (!bool('enable_hr', p.enable_hr, false) || (p.init_images?.length ?? 0) > 0) return undefined;
  const upscaler = str('hr_upscaler', p.hr_upscaler, '') || undefined;
  return {
    scale: num('hr_scale', p.hr_scale, 2, 1, 8),
    resizeX: int('hr_resize_x', p.hr_resize_x, 0, 0, 16384),
    resizeY: int('hr_resize_y', p.hr_resize_y, 0, 0, 16384),
    upscaler,
    steps: int('hr_second_pass_steps', p.hr_second_pass_steps, 0, 0, 1000),
    denoisingStrength: num('denoising_strength', p.denoising_strength, 0.75, 0, 1),
    samplerName: SAME(str('hr_sampler_name', p.hr_sampler_name, ''), 'sampler'),
    scheduler: SAME(str('hr_scheduler', p.hr_scheduler, ''), 'scheduler'),
    prompt: str('hr_prompt', p.hr_prompt, ''),
    negativePrompt: str('hr_negative_prompt', p.hr_negative_prompt, ''),
    cfgScale: p.hr_cfg === undefined || p.hr_cfg === null ? undefined : num('hr_cfg', p.hr_cfg, 7, 0, 100),
    checkpoint: SAME(str('hr_checkpoint_name', p.hr_checkpoint_name, ''), 'checkpoint'),
    tokenMergingRatio: num('override_settings.token_merging_ratio_hr', p.override_settings?.token_merging_ratio_hr, 0, 0, 1) || firstPassTome,
  };
}

/** AestheticParams after the extension's UI defaults (weight 0.9, steps 5, lr 0.0001, linear, angle 0.1). */
export interface ResolvedAesthetic {
  embedding: string;
  weight: number;
  steps: number;
  lr: number;
  slerp: boolean;
  slerpAngle: number;
  text: string;
  textNegative: boolean;
}

/** The inpaint fields of img2img after defaults (A1111's img2img UI defaults, `modules/ui.py: create_ui`). */
export interface ResolvedInpaint {
  mask?: string;
  maskFromAlpha: boolean;
  blurX: number;
  blurY: number;
  /** Both blurs when equal (A1111 `mask_blur`), else undefined: then no "Mask blur" in the infotext. */
  blur: number | undefined;
  maskAlpha: number;
  invert: boolean;
  fill: 0 | 1 | 2 | 3;
  fullRes: boolean;
  padding: number;
  maskWeight: number;
  colourMatch: boolean;
  latentMask: 'bicubic' | 'max';
  soft?: { power: number; scale: number; detailPreservation: number; maskInfluence: number; differenceThreshold: number; differenceContrast: number };
}

function resolveInpaint(p: Img2ImgParams, overrides: NonNullable<Img2ImgParams['override_settings']>): ResolvedInpaint {
  if (p.mask !== undefined && p.mask !== null && (typeof p.mask !== 'string' || p.mask.length === 0)) throw invalidParam('mask', 'expected a file path or base64 image', 'string');
  const flag = (field: string, v: unknown): boolean => (v === 0 || v === 1 ? v === 1 : bool(field, v, false));
  const blur = num('mask_blur', p.mask_blur, 4, 0, 64);
  const blurX = num('mask_blur_x', p.mask_blur_x, blur, 0, 64);
  const blurY = num('mask_blur_y', p.mask_blur_y, blur, 0, 64);
  const s = p.soft_inpainting;
  if (s !== undefined && (typeof s !== 'object' || s === null)) throw invalidParam('soft_inpainting', 'expected an object', 'SoftInpaintingParams');
  const latentMask = str('inpaint_latent_mask', p.inpaint_latent_mask, 'bicubic');
  if (latentMask !== 'bicubic' && latentMask !== 'max') throw invalidParam('inpaint_latent_mask', `unknown mode "${latentMask}"`, 'bicubic or max');
  return {
    mask: p.mask ?? undefined,
    maskFromAlpha: bool('mask_from_alpha', p.mask_from_alpha, false),
    blurX,
    blurY,
    blur: blurX === blurY ? blurX : undefined,
    maskAlpha: num('mask_alpha', p.mask_alpha, 0, 0, 100),
    invert: flag('inpainting_mask_invert', p.inpainting_mask_invert),
    fill: int('inpainting_fill', p.inpainting_fill, 1, 0, 3) as 0 | 1 | 2 | 3,
    fullRes: flag('inpaint_full_res', p.inpaint_full_res),
    padding: int('inpaint_full_res_padding', p.inpaint_full_res_padding, 32, 0, 1024),
    maskWeight: num('override_settings.inpainting_mask_weight', overrides.inpainting_mask_weight, 1, 0, 1),
    colourMatch: bool('inpaint_colour_match', p.inpaint_colour_match, true),
    latentMask,
    soft: s && s.enabled !== false ? {
      power: num('soft_inpainting.schedule_bias', s.schedule_bias, 1, 0, 8),
      scale: num('soft_inpainting.preservation_strength', s.preservation_strength, 0.5, 0, 8),
      detailPreservation: num('soft_inpainting.transition_contrast_boost', s.transition_contrast_boost, 4, 1, 32),
      maskInfluence: num('soft_inpainting.mask_influence', s.mask_influence, 0, 0, 1),
      differenceThreshold: num('soft_inpainting.difference_threshold', s.difference_threshold, 0.5, 0, 8),
      differenceContrast: num('soft_inpainting.difference_contrast', s.difference_contrast, 2, 0, 8),
    } : undefined,
  };
}

function int(field: string, v: unknown, def: number, min: number, max: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidParam(field, `expected an integer, got ${JSON.stringify(v)}`, `integer ${min}..${max}`);
  if (v < min || v > max) throw invalidParam(field, `${v} is out of range`, `integer ${min}..${max}`);
  return v;
}

function num(field: string, v: unknown, def: number, min: number, max: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidParam(field, `expected a number, got ${JSON.stringify(v)}`, `number ${min}..${max}`);
  if (v < min || v > max) throw invalidParam(field, `${v} is out of range`, `number ${min}..${max}`);
  return v;
}

function str(field: string, v: unknown, def: string): string {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'string') throw invalidParam(field, `expected a string, got ${JSON.stringify(v)}`, 'string');
  return v;
}

function strings(field: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidParam(field, `expected a list of names, got ${JSON.stringify(v)}`, 'string[]');
  return v as string[];
}

function vaeMethod(field: string, v: unknown, def: VaeMethod): VaeMethod {
  const m = str(field, v, def);
  const found = (['Full', 'TAESD'] as const).find((x) => x.toLowerCase() === m.toLowerCase());
  if (!found) throw invalidParam(field, `unknown VAE type "${m}"`, 'Full or TAESD');
  return found;
}

function bool(field: string, v: unknown, def: boolean): boolean {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'boolean') throw invalidParam(field, `expected true or false, got ${JSON.stringify(v)}`, 'boolean');
  return v;
}

/**
 * A seed field: -1 or absent = random (A1111 `get_fixed_seed`), else 0 … 2^64 − 1 as torch takes it, as a number
 * or a decimal string. `count` seeds from it (seed + i per image) must all stay in range.
 */
export function resolveSeed(field: string, v: unknown, count = 1): bigint {
  if (v === undefined || v === null) return fixedSeed(-1n);
  const s = parseSeed(v);
  if (s === undefined) throw invalidParam(field, `expected an integer (a number, or a decimal string beyond 2^53), got ${JSON.stringify(v)}`, 'integer -1..18446744073709551615');
  if (s < -1n || s > MAX_SEED) throw invalidParam(field, `${s} is out of range`, 'integer -1..18446744073709551615');
  const fixed = fixedSeed(s);
  if (fixed + BigInt(count - 1) > MAX_SEED) throw invalidParam(field, `${fixed} + ${count - 1} (one seed per image) passes 2^64 − 1`, 'a seed that leaves room for every image');
  return fixed;
}

/** ENSD is added to a seed (A1111 rng.py): any 32-bit offset. */
const MAX_ENSD = 2 ** 32 - 1;

/** Check every field of `p` and fill A1111's defaults; the first bad field throws InvalidParams naming it. */
export function resolveImg2Img(p: Img2ImgParams, settings: DaemonSettings): ResolvedImg2Img {
  if (typeof p !== 'object' || p === null) throw invalidParam('params', 'expected an object');
  const initImages = p.init_images ?? [];
  if (!Array.isArray(initImages) || initImages.some((x) => typeof x !== 'string' || x.length === 0)) {
    throw invalidParam('init_images', 'expected a list of file paths or base64 images', 'string[]');
  }
  const resizeMode = int('resize_mode', p.resize_mode, 0, 0, 3) as ResizeMode;
  const denoisingStrength = num('denoising_strength', p.denoising_strength, 0.75, 0, 1);
  const overrides = p.override_settings ?? {};
  const randnSource = str('override_settings.randn_source', overrides.randn_source, settings.randnSource);
  if (!['GPU', 'CPU', 'NV'].includes(randnSource)) throw invalidParam('override_settings.randn_source', `unknown RNG source "${randnSource}"`, 'GPU, CPU or NV');
  const nIter = int('n_iter', p.n_iter, 1, 1, 10000);
  const batchSize = int('batch_size', p.batch_size, 1, 1, 64);
  const images = nIter * batchSize;
  // A1111 get_token_merging_ratio: the first non-zero of the job's, the override's and the setting.
  const tome = num('token_merging_ratio', p.token_merging_ratio, 0, 0, 1)
    || num('override_settings.token_merging_ratio', overrides.token_merging_ratio, 0, 0, 1) || settings.tokenMergingRatio;
  return {
    prompt: str('prompt', p.prompt, ''),
    negativePrompt: str('negative_prompt', p.negative_prompt, ''),
    initImages,
    isImg2Img: initImages.length > 0,
    denoisingStrength: initImages.length > 0 ? denoisingStrength : undefined,
    cfgScale: num('cfg_scale', p.cfg_scale, 7, 0, 100),
    samplerName: str('sampler_name', p.sampler_name, 'DPM++ 2M'),
    scheduler: str('scheduler', p.scheduler, 'Automatic'),
    steps: int('steps', p.steps, 20, 1, 1000),
    seed: resolveSeed('seed', p.seed, images),
    subseed: resolveSeed('subseed', p.subseed, images),
    subseedStrength: num('subseed_strength', p.subseed_strength, 0, 0, 1),
    seedResizeFromH: int('seed_resize_from_h', p.seed_resize_from_h, 0, -1, 16384),
    seedResizeFromW: int('seed_resize_from_w', p.seed_resize_from_w, 0, -1, 16384),
    width: int('width', p.width, 512, 8, 16384),
    height: int('height', p.height, 512, 8, 16384),
    resizeMode,
    nIter,
    batchSize,
    model: str('model', p.model, settings.model),
    saveImages: bool('save_images', p.save_images, true),
    sendImages: bool('send_images', p.send_images, false),
    outdir: str('outdir', p.outdir, settings.outputDir),
    fixSteps: bool('override_settings.img2img_fix_steps', overrides.img2img_fix_steps, settings.img2imgFixSteps),
    randnSource: randnSource as ResolvedImg2Img['randnSource'],
    ensd: int('override_settings.eta_noise_seed_delta', overrides.eta_noise_seed_delta, settings.etaNoiseSeedDelta, -MAX_ENSD, MAX_ENSD),
    clipSkip: int('override_settings.CLIP_stop_at_last_layers', overrides.CLIP_stop_at_last_layers, 1, 1, 12),
    padCondUncond: bool('override_settings.pad_cond_uncond', overrides.pad_cond_uncond, false),
    sMinUncond: num('s_min_uncond', p.s_min_uncond, num('override_settings.s_min_uncond', overrides.s_min_uncond, settings.sMinUncond, 0, 100), 0, 100),
    sMinUncondAll: bool('override_settings.s_min_uncond_all', overrides.s_min_uncond_all, false),
    // A1111 StableDiffusionProcessingImg2Img.get_token_merging_ratio: the first non-zero of these.
    tokenMergingRatio: tome,
    vaeDecode: vaeMethod('override_settings.sd_vae_decode_method', overrides.sd_vae_decode_method, settings.vaeDecodeMethod),
    vaeEncode: vaeMethod('override_settings.sd_vae_encode_method', overrides.sd_vae_encode_method, settings.vaeEncodeMethod),
    initialNoiseMultiplier: num('initial_noise_multiplier', p.initial_noise_multiplier, 1, 0, 2),
    inpaint: resolveInpaint(p, overrides),
    ...(bool('restore_faces', p.restore_faces, false) ? { restoreFaces: resolveRestoreFaces(overrides, settings) } : {}),
    hires: resolveHires(p, tome),
    styles: strings('styles', p.styles),
    promptNoStyles: str('prompt', p.prompt, ''),
    save: resolveSaveOptions(settings, overrides, initImages.length > 0 ? 'img2img' : 'txt2img'),
    noGrid: bool('do_not_save_grid', p.do_not_save_grid, false),
    sdVae: str('override_settings.sd_vae', overrides.sd_vae, settings.sdVae),
    ...resolveAesthetic(p.aesthetic),
    sdxl: {
      cropTop: int('override_settings.sdxl_crop_top', overrides.sdxl_crop_top, settings.sdxlCropTop, 0, 16384),
      cropLeft: int('override_settings.sdxl_crop_left', overrides.sdxl_crop_left, settings.sdxlCropLeft, 0, 16384),
      highAestheticScore: num('override_settings.sdxl_refiner_high_aesthetic_score', overrides.sdxl_refiner_high_aesthetic_score, settings.sdxlRefinerHighAestheticScore, 0, 10),
      lowAestheticScore: num('override_settings.sdxl_refiner_low_aesthetic_score', overrides.sdxl_refiner_low_aesthetic_score, settings.sdxlRefinerLowAestheticScore, 0, 10),
    },
    sizeGiven: { width: p.width !== undefined && p.width !== null, height: p.height !== undefined && p.height !== null },
    ...(p.refiner_checkpoint !== undefined && p.refiner_checkpoint !== null ? {
      refiner: {
        checkpoint: str('refiner_checkpoint', p.refiner_checkpoint, ''),
        switchAt: num('refiner_switch_at', p.refiner_switch_at, 0.8, 0, 1),
        bySteps: bool('override_settings.refiner_switch_by_sample_steps', overrides.refiner_switch_by_sample_steps, false),
      },
    } : {}),
  };
}

/** A1111 opts.face_restoration_model (display names) and opts.code_former_weight (default 0.5). */
function resolveRestoreFaces(o: NonNullable<Img2ImgParams['override_settings']>, settings: DaemonSettings): NonNullable<ResolvedImg2Img['restoreFaces']> {
  const name = str('override_settings.face_restoration_model', o.face_restoration_model, settings.defaultFaceRestorer === 'gfpgan' ? 'GFPGAN' : 'CodeFormer');
  if (name !== 'CodeFormer' && name !== 'GFPGAN') throw invalidParam('override_settings.face_restoration_model', `unknown face restorer "${name}"`, 'CodeFormer or GFPGAN');
  return { model: name === 'GFPGAN' ? 'gfpgan' : 'codeformer', codeformerWeight: num('override_settings.code_former_weight', o.code_former_weight, 0.5, 0, 1) };
}

/** The extension's "None" embedding (or none given) turns it off, as load_image_embs does. */
function resolveAesthetic(a: Img2ImgParams['aesthetic']): { aesthetic?: ResolvedAesthetic } {
  if (a === undefined || a === null) return {};
  if (typeof a !== 'object') throw invalidParam('aesthetic', 'expected an object', 'AestheticParams');
  const embedding = str('aesthetic.embedding', a.embedding, '');
  if (embedding === '' && Object.keys(a).some((k) => k !== 'embedding')) throw invalidParam('aesthetic.embedding', 'aesthetic settings were given without an embedding', 'an embedding name or .pt path');
  if (embedding === '' || embedding === 'None') return {};
  return {
    aesthetic: {
      embedding,
      weight: num('aesthetic.weight', a.weight, 0.9, 0, 1),
      steps: int('aesthetic.steps', a.steps, 5, 0, 1000),
      lr: num('aesthetic.lr', a.lr, 0.0001, 0, 10),
      slerp: bool('aesthetic.slerp', a.slerp, false),
      slerpAngle: num('aesthetic.slerp_angle', a.slerp_angle, 0.1, 0, 1),
      text: str('aesthetic.text', a.text, ''),
      textNegative: bool('aesthetic.text_negative', a.text_negative, false),
    },
  };
}

/** SDXL models are trained at 1024²: a size the request does not give defaults to 1024 for them (512 otherwise). */
export function withModelSizeDefaults(p: ResolvedImg2Img, sdxl: boolean): ResolvedImg2Img {
  if (!sdxl || (p.sizeGiven.width && p.sizeGiven.height)) return p;
  return { ...p, width: p.sizeGiven.width ? p.width : 1024, height: p.sizeGiven.height ? p.height : 1024 };
}
