// A request's `override_settings` (over the /options per-job defaults) as the daemon takes them: the options SD
// Studio applies per job pass through under A1111's names (the daemon checks their values), a checkpoint title
// picks the model, and the options A1111 would apply that SD Studio cannot are refused rather than dropped.
import { listCheckpoints, findCheckpoint } from '../modelFiles/checkpoints';
import { listVaeFiles } from '../modelFiles/sdVae';
import type { Img2ImgParams } from '../protocol';
import type { ApiContext } from './context';
import { HttpError } from './errors';

type Values = Record<string, unknown>;

/** Options the daemon applies per job (`Img2ImgParams.override_settings`). */
const PASSED = [
  'img2img_fix_steps', 'randn_source', 'eta_noise_seed_delta', 'inpainting_mask_weight', 'CLIP_stop_at_last_layers', 'pad_cond_uncond',
  'face_restoration_model', 'code_former_weight', 'sd_vae', 'samples_format', 'grid_format', 'jpeg_quality', 'webp_lossless', 'save_txt',
  'grid_save', 'samples_filename_pattern', 'directories_filename_pattern', 'save_images_before_highres_fix',
  'save_images_before_face_restoration', 'save_images_before_color_correction', 'img2img_color_correction',
  'sdxl_crop_top', 'sdxl_crop_left', 'sdxl_refiner_low_aesthetic_score', 'sdxl_refiner_high_aesthetic_score', 'refiner_switch_by_sample_steps',
  'token_merging_ratio', 'token_merging_ratio_hr', 's_min_uncond', 's_min_uncond_all', 'sd_vae_decode_method', 'sd_vae_encode_method',
] as const;

/** Options that change A1111's image which SD Studio does not have yet, with the value that means "off". */
const REFUSED: Array<[key: string, off: (v: unknown) => boolean, what: string]> = [
  ['skip_early_cond', (v) => !v, 'skipping CFG on early steps'],
  ['always_discard_next_to_last_sigma', (v) => !v, 'discarding the next-to-last sigma for every sampler'],
  ['sgm_noise_multiplier', (v) => !v, 'SGM noise multiplier'],
];

/** A checkpoint title as /sd-models lists it (`get_closet_checkpoint_match`) → the daemon's model path. */
export async function checkpointFile(api: ApiContext, title: string, field: string): Promise<string> {
  const s = api.server.settings;
  const hit = findCheckpoint(await listCheckpoints(s.modelsRoot, s.model), title);
  if (hit) return hit.filename;
  if (field === 'sd_model_checkpoint') throw new HttpError(404, 'Model not found');
  // `StableDiffusionProcessingTxt2Img.init`: a plain Exception, so a 500.
  throw Object.assign(new Error(`Could not find checkpoint with name ${title}`), { name: 'Exception' });
}

/** `sd_vae` names a VAE the daemon lists (never a path on this machine), "Automatic" or "None". */
function checkVae(api: ApiContext, v: unknown): void {
  if (typeof v !== 'string') throw new HttpError(422, 'override_settings.sd_vae: expected a VAE name');
  const names = [...listVaeFiles(api.server.settings.modelsRoot).keys()];
  const known = ['Automatic', 'None', ...names, ...names.map((n) => n.replace(/\.[^.]*$/, ''))];
  if (!known.includes(v)) throw new HttpError(422, `override_settings.sd_vae: "${v}" is not a VAE of this daemon (Automatic, None${names.length ? `, ${names.join(', ')}` : ''}; see /sdapi/v1/sd-vae)`);
}

/**
 * `override_settings` over the per-job options onto `p`; `restore_faces` left unset takes the `face_restoration`
 * option (`process_images_inner`: `if p.restore_faces is None: p.restore_faces = opts.face_restoration`).
 */
export async function applyOverrides(api: ApiContext, v: Values, p: Img2ImgParams): Promise<void> {
  const o = { ...api.options.jobOptions(), ...((v.override_settings as Values | null) ?? {}) } as Values;
  for (const [key, off, what] of REFUSED) {
    if (!off(o[key])) throw new HttpError(422, `override_settings.${key}: ${what} is not supported by SD Studio yet`);
  }
  if (o.sd_vae !== undefined && o.sd_vae !== null) checkVae(api, o.sd_vae);
  const out: Values = {};
  for (const k of PASSED) if (o[k] !== undefined && o[k] !== null) out[k] = o[k];
  p.override_settings = out as Img2ImgParams['override_settings'];
  p.restore_faces = typeof v.restore_faces === 'boolean' ? v.restore_faces : o.face_restoration === true;
  if (p.initial_noise_multiplier === undefined && typeof o.initial_noise_multiplier === 'number') p.initial_noise_multiplier = o.initial_noise_multiplier;
  if (typeof o.sd_model_checkpoint === 'string' && o.sd_model_checkpoint) p.model = await checkpointFile(api, o.sd_model_checkpoint, 'sd_model_checkpoint');
}
