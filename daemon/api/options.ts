// /sdapi/v1/options: A1111's option keys for the settings SD Studio has. Daemon settings are read from and
// written to the daemon (so a panel and an API client see one model, one output folder); the options A1111
// applies per generation (CLIP skip, noise multiplier, ...) are kept here and become each API job's
// `override_settings` defaults; a few options that only describe fixed behaviour (PNG output with infotext) are
// reported as they are and accepted only at their value.
import type { DaemonSettings } from '../protocol';
import { findCheckpoint, listCheckpoints } from '../modelFiles/checkpoints';
import { HttpError } from './errors';

type Value = string | number | boolean;

/** The per-job options and their A1111 defaults. */
export interface JobOptions {
  CLIP_stop_at_last_layers: number;
  initial_noise_multiplier: number;
  inpainting_mask_weight: number;
  pad_cond_uncond: boolean;
  /** "Token merging ratio for high-res pass" (0: the first pass's) and "NGMS all steps". */
  token_merging_ratio_hr: number;
  s_min_uncond_all: boolean;
}

const JOB_DEFAULTS: JobOptions = {
  CLIP_stop_at_last_layers: 1, initial_noise_multiplier: 1, inpainting_mask_weight: 1, pad_cond_uncond: false, token_merging_ratio_hr: 0, s_min_uncond_all: false,
};

const vaeType = (v: Value): 'Full' | 'TAESD' | undefined => (v === 'Full' || v === 'TAESD' ? v : undefined);

/** What SD Studio always does: PNG with the infotext in a `parameters` chunk, under A1111's numbered names. */
const FIXED: Record<string, Value> = { samples_save: true, samples_format: 'png', enable_pnginfo: true, save_images_add_number: true };

/** A1111 key → daemon setting, both directions. */
const SETTING_KEYS: Record<string, { get(s: DaemonSettings): Value; set(v: Value, s: DaemonSettings): Partial<DaemonSettings> | undefined }> = {
  sd_vae: { get: (s) => s.sdVae, set: (v) => (typeof v === 'string' ? { sdVae: v } : undefined) },
  samples_filename_pattern: { get: (s) => s.filenamePattern, set: (v) => (typeof v === 'string' ? { filenamePattern: v } : undefined) },
  directories_filename_pattern: { get: (s) => s.directoryPattern || '[date]', set: (v) => (typeof v === 'string' ? { directoryPattern: v } : undefined) },
  save_to_dirs: { get: (s) => s.directoryPattern !== '', set: (v, s) => (v === false ? { directoryPattern: '' } : v === true ? { directoryPattern: s.directoryPattern || '[date]' } : undefined) },
  show_progress_every_n_steps: { get: (s) => s.previewEvery, set: (v) => (typeof v === 'number' ? { previewEvery: Math.trunc(v) } : undefined) },
  show_progress_type: {
    get: (s) => (s.previewMethod === 'taesd' ? 'TAESD' : 'Approx cheap'),
    set: (v) => (v === 'TAESD' ? { previewMethod: 'taesd' } : typeof v === 'string' ? { previewMethod: 'cheap' } : undefined),
  },
  img2img_fix_steps: { get: (s) => s.img2imgFixSteps, set: (v) => (typeof v === 'boolean' ? { img2imgFixSteps: v } : undefined) },
  randn_source: { get: (s) => s.randnSource, set: (v) => (v === 'GPU' || v === 'CPU' || v === 'NV' ? { randnSource: v } : undefined) },
  eta_noise_seed_delta: { get: (s) => s.etaNoiseSeedDelta, set: (v) => (typeof v === 'number' ? { etaNoiseSeedDelta: Math.trunc(v) } : undefined) },
  ESRGAN_tile: { get: (s) => s.upscalerTileSize, set: (v) => (typeof v === 'number' ? { upscalerTileSize: Math.trunc(v) } : undefined) },
  ESRGAN_tile_overlap: { get: (s) => s.upscalerTileOverlap, set: (v) => (typeof v === 'number' ? { upscalerTileOverlap: Math.trunc(v) } : undefined) },
  token_merging_ratio: { get: (s) => s.tokenMergingRatio, set: (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? { tokenMergingRatio: v } : undefined) },
  s_min_uncond: { get: (s) => s.sMinUncond, set: (v) => (typeof v === 'number' && v >= 0 ? { sMinUncond: v } : undefined) },
  sd_vae_decode_method: { get: (s) => s.vaeDecodeMethod, set: (v) => (vaeType(v) ? { vaeDecodeMethod: vaeType(v)! } : undefined) },
  sd_vae_encode_method: { get: (s) => s.vaeEncodeMethod, set: (v) => (vaeType(v) ? { vaeEncodeMethod: vaeType(v)! } : undefined) },
  face_restoration_model: {
    get: (s) => (s.defaultFaceRestorer === 'codeformer' ? 'CodeFormer' : 'GFPGAN'),
    set: (v) => (v === 'CodeFormer' ? { defaultFaceRestorer: 'codeformer' } : v === 'GFPGAN' ? { defaultFaceRestorer: 'gfpgan' } : undefined),
  },
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
    // Checked everything first: a bad key changes nothing.
    if (Object.keys(patch).length) this.daemon.update(patch);
    Object.assign(this.job, job);
  }
}
