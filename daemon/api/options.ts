// /sdapi/v1/options: A1111's option keys for the settings SD Studio has. Daemon settings are read from and
// written to the daemon (so a panel and an API client see one model, one output folder); the options A1111
// applies per generation (CLIP skip, noise multiplier, "Restore faces", ...) are kept here and become each API
// job's `override_settings` defaults; a few options that only describe fixed behaviour (the infotext in every
// image) are reported as they are and accepted only at their value.
import type { DaemonSettings, InterrogateSettings } from '../protocol';
import { findCheckpoint, listCheckpoints } from '../modelFiles/checkpoints';
import { checkSettingsPatch } from '../settings';
import { HttpError } from './errors';

type Value = string | number | boolean | string[];

/** The per-job options and their A1111 defaults. */
export interface JobOptions {
  CLIP_stop_at_last_layers: number;
  initial_noise_multiplier: number;
  inpainting_mask_weight: number;
  pad_cond_uncond: boolean;
  /** "Token merging ratio for high-res pass" (0: the first pass's) and "NGMS all steps". */
  token_merging_ratio_hr: number;
  s_min_uncond_all: boolean;
  /** "Restore faces" for requests that leave `restore_faces` unset. */
  face_restoration: boolean;
  code_former_weight: number;
}

const JOB_DEFAULTS: JobOptions = {
  CLIP_stop_at_last_layers: 1, initial_noise_multiplier: 1, inpainting_mask_weight: 1, pad_cond_uncond: false, token_merging_ratio_hr: 0, s_min_uncond_all: false,
  face_restoration: false, code_former_weight: 0.5,
};

const vaeType = (v: Value): 'Full' | 'TAESD' | undefined => (v === 'Full' || v === 'TAESD' ? v : undefined);

/** What SD Studio always does: the infotext in every image, under A1111's numbered names. */
const FIXED: Record<string, Value> = { samples_save: true, enable_pnginfo: true, save_images_add_number: true };

interface SettingKey {
  get(s: DaemonSettings): Value;
  set(v: Value, s: DaemonSettings): Partial<DaemonSettings> | undefined;
}

type Keys<T, V> = { [K in keyof T]: T[K] extends V ? K : never }[keyof T];
const flag = (k: Keys<DaemonSettings, boolean>): SettingKey => ({ get: (s) => s[k], set: (v) => (typeof v === 'boolean' ? { [k]: v } : undefined) });
const whole = (k: Keys<DaemonSettings, number>, ok: (n: number) => boolean = () => true): SettingKey => ({
  get: (s) => s[k],
  set: (v) => (typeof v === 'number' && ok(Math.trunc(v)) ? { [k]: Math.trunc(v) } : undefined),
});
/** A1111's file format options take an extension; SD Studio writes png, jpg and webp. */
const format = (k: 'samplesFormat' | 'gridFormat'): SettingKey => ({
  get: (s) => s[k],
  set: (v) => {
    const f = typeof v === 'string' ? v.toLowerCase().replace(/^\./, '').replace(/^jpeg$/, 'jpg') : '';
    return f === 'png' || f === 'jpg' || f === 'webp' ? { [k]: f } : undefined;
  },
});
/** One of the Interrogate options (`interrogate_*`, `deepbooru_*`), kept together in the daemon's settings. */
const interrogate = <K extends keyof InterrogateSettings>(k: K, ok: (v: Value) => boolean): SettingKey => ({
  get: (s) => s.interrogate[k],
  set: (v, s) => (ok(v) ? { interrogate: { ...s.interrogate, [k]: v } } : undefined),
});
const isBool = (v: Value): boolean => typeof v === 'boolean';
const isCount = (v: Value): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isUnit = (v: Value): boolean => typeof v === 'number' && v >= 0 && v <= 1;

/** A1111 key → daemon setting, both directions. */
const SETTING_KEYS: Record<string, SettingKey> = {
  sd_vae: { get: (s) => s.sdVae, set: (v) => (typeof v === 'string' ? { sdVae: v } : undefined) },
  samples_filename_pattern: { get: (s) => s.filenamePattern, set: (v) => (typeof v === 'string' ? { filenamePattern: v } : undefined) },
  directories_filename_pattern: { get: (s) => s.directoryPattern || '[date]', set: (v) => (typeof v === 'string' ? { directoryPattern: v } : undefined) },
  save_to_dirs: { get: (s) => s.directoryPattern !== '', set: (v, s) => (v === false ? { directoryPattern: '' } : v === true ? { directoryPattern: s.directoryPattern || '[date]' } : undefined) },
  samples_format: format('samplesFormat'),
  grid_format: format('gridFormat'),
  jpeg_quality: whole('jpegQuality', (n) => n >= 1 && n <= 100),
  webp_lossless: flag('webpLossless'),
  save_txt: flag('saveTxt'),
  // One A1111 option for both tabs' grids: on when both are.
  grid_save: { get: (s) => s.gridSaveTxt2Img && s.gridSaveImg2Img, set: (v) => (typeof v === 'boolean' ? { gridSaveTxt2Img: v, gridSaveImg2Img: v } : undefined) },
  save_images_before_face_restoration: flag('saveBeforeFaceRestoration'),
  save_images_before_highres_fix: flag('saveBeforeHighresFix'),
  save_images_before_color_correction: flag('saveBeforeColorCorrection'),
  img2img_color_correction: flag('img2imgColorCorrection'),
  show_progress_every_n_steps: whole('previewEvery'),
  show_progress_type: {
    get: (s) => (s.previewMethod === 'taesd' ? 'TAESD' : 'Approx cheap'),
    set: (v) => (v === 'TAESD' ? { previewMethod: 'taesd' } : typeof v === 'string' ? { previewMethod: 'cheap' } : undefined),
  },
  img2img_fix_steps: flag('img2imgFixSteps'),
  randn_source: { get: (s) => s.randnSource, set: (v) => (v === 'GPU' || v === 'CPU' || v === 'NV' ? { randnSource: v } : undefined) },
  eta_noise_seed_delta: whole('etaNoiseSeedDelta'),
  ESRGAN_tile: whole('upscalerTileSize'),
  ESRGAN_tile_overlap: whole('upscalerTileOverlap'),
  token_merging_ratio: { get: (s) => s.tokenMergingRatio, set: (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? { tokenMergingRatio: v } : undefined) },
  s_min_uncond: { get: (s) => s.sMinUncond, set: (v) => (typeof v === 'number' && v >= 0 ? { sMinUncond: v } : undefined) },
  sd_vae_decode_method: { get: (s) => s.vaeDecodeMethod, set: (v) => (vaeType(v) ? { vaeDecodeMethod: vaeType(v)! } : undefined) },
  sd_vae_encode_method: { get: (s) => s.vaeEncodeMethod, set: (v) => (vaeType(v) ? { vaeEncodeMethod: vaeType(v)! } : undefined) },
  face_restoration_model: {
    get: (s) => (s.defaultFaceRestorer === 'codeformer' ? 'CodeFormer' : 'GFPGAN'),
    set: (v) => (v === 'CodeFormer' ? { defaultFaceRestorer: 'codeformer' } : v === 'GFPGAN' ? { defaultFaceRestorer: 'gfpgan' } : undefined),
  },
  interrogate_keep_models_in_memory: interrogate('keepModelsInMemory', isBool),
  interrogate_return_ranks: interrogate('returnRanks', isBool),
  interrogate_clip_num_beams: interrogate('clipNumBeams', isCount),
  interrogate_clip_min_length: interrogate('clipMinLength', isCount),
  interrogate_clip_max_length: interrogate('clipMaxLength', isCount),
  interrogate_clip_dict_limit: interrogate('clipDictLimit', isCount),
  interrogate_clip_skip_categories: interrogate('clipSkipCategories', (v) => Array.isArray(v) && v.every((x) => typeof x === 'string')),
  interrogate_deepbooru_score_threshold: interrogate('deepbooruThreshold', isUnit),
  deepbooru_sort_alpha: interrogate('deepbooruSortAlpha', isBool),
  deepbooru_use_spaces: interrogate('deepbooruUseSpaces', isBool),
  deepbooru_escape: interrogate('deepbooruEscape', isBool),
  deepbooru_filter_tags: interrogate('deepbooruFilterTags', (v) => typeof v === 'string'),
};

export interface DaemonSettingsAccess {
  settings(): DaemonSettings;
  update(patch: Partial<DaemonSettings>): void;
}

export class ApiOptions {
  private readonly job: JobOptions = { ...JOB_DEFAULTS };

  constructor(private readonly daemon: DaemonSettingsAccess) {}

  /** Per-job defaults for `override_settings`. */
  jobOptions(): JobOptions {
    return { ...this.job };
  }

  async get(): Promise<Record<string, Value>> {
    const s = this.daemon.settings();
    const checkpoints = await listCheckpoints(s.modelsRoot, s.model);
    const current = s.model ? findCheckpoint(checkpoints, s.model) : undefined;
    const out: Record<string, Value> = {
      sd_model_checkpoint: current?.title ?? '',
      sd_checkpoint_hash: current?.sha256 ?? '',
      outdir_samples: '',
      outdir_txt2img_samples: `${s.outputDir}/txt2img-images`,
      outdir_img2img_samples: `${s.outputDir}/img2img-images`,
      outdir_extras_samples: `${s.outputDir}/extras-images`,
      ...FIXED,
    };
    for (const [k, m] of Object.entries(SETTING_KEYS)) out[k] = m.get(s);
    return { ...out, ...this.job };
  }

  /** A1111 `set_config`: an unknown checkpoint is a RuntimeError (500); unknown keys are A1111's KeyError. */
  async set(req: Record<string, unknown>): Promise<void> {
    const patch: Partial<DaemonSettings> = {};
    const job: Partial<JobOptions> = {};
    for (const [k, v] of Object.entries(req)) {
      if (k === 'sd_model_checkpoint') {
        if (typeof v !== 'string') throw new HttpError(422, 'sd_model_checkpoint: expected a checkpoint title');
        const s = this.daemon.settings();
        const hit = findCheckpoint(await listCheckpoints(s.modelsRoot, s.model), v);
        if (!hit) throw Object.assign(new Error(`model ${JSON.stringify(v)} not found`), { name: 'RuntimeError' });
        patch.model = hit.filename;
      } else if (k in SETTING_KEYS) {
        const p = SETTING_KEYS[k]!.set(v as Value, { ...this.daemon.settings(), ...patch });
        if (!p) throw new HttpError(422, `${k}: unsupported value ${JSON.stringify(v)}`);
        Object.assign(patch, p);
      } else if (k in JOB_DEFAULTS) {
        const want = typeof JOB_DEFAULTS[k as keyof JobOptions];
        if (typeof v !== want) throw new HttpError(422, `${k}: expected a ${want}, got ${JSON.stringify(v)}`);
        Object.assign(job, { [k]: v });
      } else if (k in FIXED) {
        if (v !== FIXED[k]) throw new HttpError(422, `${k}: SD Studio always uses ${JSON.stringify(FIXED[k])}`);
      } else if (!['sd_checkpoint_hash', 'outdir_samples', 'outdir_txt2img_samples', 'outdir_img2img_samples', 'outdir_extras_samples'].includes(k)) {
        throw Object.assign(new Error(`'${k}'`), { name: 'KeyError' });
      }
    }
    // Checked everything first (the daemon settings' types and ranges too, as sd/settings.update checks them: a
    // bad value is InvalidParams, A1111's 422): a bad key changes nothing.
    if (Object.keys(patch).length) this.daemon.update(checkSettingsPatch(patch));
    Object.assign(this.job, job);
  }
}
