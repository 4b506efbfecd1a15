/**
 * THE contract between the daemon and its clients (the VS Code extension, the `sd-studio` CLI, webviews).
 * No imports, no logic: every request and notification is declared here once, with its params, result and
 * a doc comment saying who sends it and why. Generation params use the field names of A1111's
 * `/sdapi/v1/img2img` JSON so that an A1111-compatible HTTP facade is a thin mapping.
 *
 * Transport: JSON-RPC 2.0 over stdio (LSP framing), served by `sd-studio serve --stdio`. Long jobs report
 * LSP work-done progress on the `workDoneToken` the client passes, and are cancelled with `$/cancelRequest`
 * on the request or with `sd/job.cancel`.
 */

/** Bumped on any incompatible change; checked at `initialize` (client sends it in initializationOptions). */
export const PROTOCOL_VERSION = 1;

/**
 * An image given to the daemon: a file path (absolute, or relative to the daemon's cwd), a `data:image/...;base64,`
 * URL, or bare base64 (as A1111's API accepts).
 */
export type ImageRef = string;

/** JSON-RPC error codes the daemon uses besides the standard ones (-32602 InvalidParams carries `data.field`). */
export const ErrorCodes = {
  InvalidParams: -32602,
  /** The request was cancelled (LSP's RequestCancelled). */
  Cancelled: -32800,
  /** A model folder/file is missing a part or does not have the inputs/outputs expected. */
  ModelError: -32001,
  /** An input image is missing, unreadable or not an image. */
  ImageError: -32002,
  /** The job failed while running (inference error, write error, ...). */
  JobFailed: -32003,
  /** Client and daemon disagree on PROTOCOL_VERSION. */
  ProtocolMismatch: -32004,
  /** A file or folder named in the params does not exist. */
  NotFound: -32005,
  /** The output file exists and the request did not say `overwrite: true`: nothing was written. */
  OutputExists: -32006,
} as const;

/** `data` of an error response: which field or file was wrong, and what was expected. */
export interface ErrorData {
  field?: string;
  file?: string;
  expected?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Initialization and settings
// ---------------------------------------------------------------------------------------------------------

/** `initializationOptions` of LSP `initialize`. */
export interface InitializationOptions {
  protocolVersion: number;
  /** Who is connecting, for logs: "vscode", "cli", "test". */
  client?: string;
  settings?: Partial<DaemonSettings>;
}

/** Extra fields of the daemon's `InitializeResult`. */
export interface InitializeResultExtras {
  protocolVersion: number;
  serverInfo: { name: string; version: string };
}

/** Everything the daemon reads from `sdStudio.*` settings (and CLI flags / environment). */
export interface DaemonSettings {
  /** A1111-style models root (`Stable-diffusion/`, `VAE/`, `ESRGAN/`, ...) or an A1111 install. */
  modelsRoot: string;
  /** Default model: a diffusers-layout ONNX folder (or a checkpoint file, later). Empty: none configured. */
  model: string;
  /** Output root; `img2img-images/<date>/` etc. are created under it. */
  outputDir: string;
  /** A1111 `samples_filename_pattern`; empty = `[seed]` (with the date subfolder). */
  filenamePattern: string;
  /** A1111 `directories_filename_pattern`; empty string turns the subfolder off. */
  directoryPattern: string;
  /**
   * ONNX Runtime execution provider; `auto` = the platform's GPU provider when this install has it (DirectML on
   * Windows, WebGPU/CoreML on macOS, CUDA on Linux once GPU support is installed), else CPU. Needs a daemon restart.
   */
  executionProvider: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
  /** Intra-op threads; 0 = physical cores. Needs a daemon restart. */
  threads: number;
  /** Live preview every N sampler steps; -1 = only at the end of each image; 0 = off. */
  previewEvery: number;
  /** A1111 "With img2img, do exactly the amount of steps the slider specifies". */
  img2imgFixSteps: boolean;
  /** A1111 "Random number generator source". */
  randnSource: 'GPU' | 'CPU' | 'NV';
  /** A1111 "Eta noise seed delta" (ENSD). */
  etaNoiseSeedDelta: number;
  /** A1111 ESRGAN_tile: upscaler tile side in input pixels; 0 = no tiling. Default 192. */
  upscalerTileSize: number;
  /** A1111 ESRGAN_tile_overlap: cross-fade between tiles in input pixels. Default 8. */
  upscalerTileOverlap: number;
  /** Extras upscaler when none is named; default the built-in "ESRGAN-Slim 4x". */
  defaultUpscaler: string;
  /** Face restorer used when only a visibility is given; default CodeFormer, A1111's `face_restoration_model`. */
  defaultFaceRestorer: 'gfpgan' | 'codeformer';
  /** A1111 "SD VAE" for checkpoint files: "Automatic" | "None" | a file name from `<modelsRoot>/VAE/` | an absolute path. */
  sdVae: string;
  /** Live preview method: A1111 "Approx cheap" ('cheap') or 'taesd' (`<modelsRoot>/VAE-approx/taesd_decoder.*`; SDXL: `taesdxl_decoder.*`). */
  previewMethod: 'cheap' | 'taesd';
  /** A1111 "File format for images" (`samples_format`): png (default), jpg or webp. */
  samplesFormat: 'png' | 'jpg' | 'webp';
  /** A1111 "File format for grids" (`grid_format`). */
  gridFormat: 'png' | 'jpg' | 'webp';
  /** A1111 "Quality for saved jpeg and avif images" (`jpeg_quality`, also lossy WebP), 1..100, default 80. */
  jpegQuality: number;
  /** A1111 "Use lossless compression for webp images" (`webp_lossless`). */
  webpLossless: boolean;
  /** A1111 "Create a text file with infotext next to every image" (`save_txt`). */
  saveTxt: boolean;
  /** A1111 "Always save all generated image grids" (`grid_save`), per tab: txt2img and img2img. */
  gridSaveTxt2Img: boolean;
  gridSaveImg2Img: boolean;
  /** A1111 "Save a copy of image before doing face restoration / applying highres fix / color correction". */
  saveBeforeFaceRestoration: boolean;
  saveBeforeHighresFix: boolean;
  saveBeforeColorCorrection: boolean;
  /** A1111 "Apply color correction to img2img results to match original colors" (`img2img_color_correction`). */
  img2imgColorCorrection: boolean;
  /** A1111's styles.csv; empty = `styles.csv` of the A1111 install the models root belongs to. */
  stylesFile: string;
  /**
   * Engines generation jobs may run on; empty = this daemon only. With entries, each job goes to the least busy
   * one that has its model (list `{ kind: 'local' }` to keep this machine in the pool).
   */
  backends: BackendConfig[];
  /** Size limit of SD Studio's cache (checkpoint builds, LoRA/VAE variants, derived graphs) in GB; least recently used out. Default 10. */
  cacheLimitGB: number;
  /** A1111's Interrogate settings (the `sdStudio.interrogate.*` settings). */
  interrogate: InterrogateSettings;
  /** A1111 "crop top coordinate" / "crop left coordinate" of SDXL's size conditioning, default 0. */
  sdxlCropTop: number;
  sdxlCropLeft: number;
  /** A1111 "SDXL high aesthetic score" (6) for prompts / "SDXL low aesthetic score" (2.5) for negative prompts: the refiner's conditioning. */
  sdxlRefinerHighAestheticScore: number;
  sdxlRefinerLowAestheticScore: number;
  /**
   * A1111 "Token merging ratio" 0..0.9 (ToMe for SD on the self-attention of the highest-resolution UNet blocks,
   * infotext "Token merging ratio"); 0 = off. Single-file checkpoints only (the graph is ours to build).
   */
  tokenMergingRatio: number;
  /** A1111 "Negative Guidance minimum sigma" (s_min_uncond, infotext "NGMS"); 0 = off. */
  sMinUncond: number;
  /** A1111 "VAE type for decode": the full VAE, or TAESD (`<modelsRoot>/VAE-approx/taesd_decoder.*`), infotext "VAE Decoder". */
  vaeDecodeMethod: VaeMethod;
  /** A1111 "VAE type for encode": the full VAE, or TAESD (`<modelsRoot>/VAE-approx/taesd_encoder.*`), infotext "VAE Encoder". */
  vaeEncodeMethod: VaeMethod;
  /**
   * Tiled VAE decode/encode (overlapping tiles cross-faded; bounded memory for large images): 'auto' tiles images
   * over 1024×1024 pixels, 'on' always, 'off' never.
   */
  vaeTiling: 'auto' | 'on' | 'off';
  /**
   * UNet arithmetic for single-file checkpoints: fp32, or int8 (weights quantised per output channel, activations
   * quantised at run time: faster on CPUs with VNNI, slightly different images). Folders run as exported.
   */
  unetPrecision: 'fp32' | 'int8';
}

/** A1111 saving options a request may override for itself (`override_settings`, A1111's option names). */
export interface SaveOverrides {
  samples_format?: 'png' | 'jpg' | 'webp';
  grid_format?: 'png' | 'jpg' | 'webp';
  jpeg_quality?: number;
  webp_lossless?: boolean;
  save_txt?: boolean;
  grid_save?: boolean;
  samples_filename_pattern?: string;
  directories_filename_pattern?: string;
  save_images_before_highres_fix?: boolean;
  save_images_before_face_restoration?: boolean;
  save_images_before_color_correction?: boolean;
  img2img_color_correction?: boolean;
}

/** One engine of the `backends` setting. */
export interface BackendConfig {
  /** Shown in panels and the status bar; the CLI's `--backend NAME`. */
  name: string;
  /** `a1111`: A1111, Forge, reForge, SD.Next or another `sd-studio serve --api`; `comfyui`: a ComfyUI server. */
  kind: 'local' | 'a1111' | 'comfyui';
  /** Base URL, e.g. "http://gpu-box:7860" (a1111) or "http://gpu-box:8188" (comfyui). */
  url?: string;
  /** "USER:PASS" (HTTP basic auth, A1111's --api-auth) or "Bearer TOKEN". */
  auth?: string;
}

/** A1111's VAE types for decode/encode ("Full" or "TAESD"). */
export type VaeMethod = 'Full' | 'TAESD';

/** Client → daemon: replace some settings (the rest keep their value). Result: the full settings now in force. */
export interface SettingsUpdateParams {
  settings: Partial<DaemonSettings>;
}

// ---------------------------------------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------------------------------------

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobInfo {
  jobId: string;
  kind: string;
  state: JobState;
  /** Set once the job ends in `failed`. */
  error?: string;
  /** The backend running (or that ran) the job: "local" or a name from the `backends` setting. */
  backend?: string;
}

/** Daemon → client: a job changed state. */
export interface JobStateNotification extends JobInfo {}

/**
 * Daemon → client: progress of a running job (also reported as LSP work-done progress on the request's token).
 * `step`/`steps` count sampler steps of the current image; `image`/`images` count images of the job.
 */
export interface JobProgressNotification {
  jobId: string;
  step: number;
  steps: number;
  image: number;
  images: number;
  /** Seconds left, estimated from the steps done so far; absent until the first step ends. */
  etaSeconds?: number;
  /** Short text for status bars: "step 3/16 · image 1/2 · 12 s left". */
  message: string;
}

/** Daemon → client: a live preview of the image being sampled (A1111 "Approx cheap" linear preview). */
export interface JobPreviewNotification {
  jobId: string;
  /** Index of the image in the job (0-based). */
  image: number;
  step: number;
  width: number;
  height: number;
  /** PNG bytes, base64. */
  png: string;
}

/** Client → daemon: cancel a queued or running job. Result: the job's state after the request. */
export interface JobCancelParams {
  jobId: string;
}

// ---------------------------------------------------------------------------------------------------------
// Generation (img2img; txt2img when there is no init image)
// ---------------------------------------------------------------------------------------------------------

/** A1111 resize modes: 0 just resize, 1 crop and resize, 2 resize and fill, 3 just resize (latent upscale). */
export type ResizeMode = 0 | 1 | 2 | 3;

/** Params of `sd/img2img`, named as in A1111's `/sdapi/v1/img2img`. Omitted fields take A1111's defaults. */
export interface Img2ImgParams {
  prompt?: string;
  negative_prompt?: string;
  /** The source image(s); empty or absent runs txt2img. Image i of the batch uses init_images[i % length]. */
  init_images?: ImageRef[];
  /** 0..1, default 0.75. */
  denoising_strength?: number;
  /** Default 7. */
  cfg_scale?: number;
  /** A1111 display name ("Euler a", "DPM++ 2M", or a legacy combined name "DPM++ 2M Karras"). */
  sampler_name?: string;
  /** A1111 schedule type ("Automatic", "Karras", ...). Default "Automatic". */
  scheduler?: string;
  /** Default 20. */
  steps?: number;
  /** -1 or absent = random; 0 … 2^64 − 1 (beyond 2^53 as a decimal string, see SeedJson). */
  seed?: SeedJson;
  subseed?: SeedJson;
  subseed_strength?: number;
  seed_resize_from_h?: number;
  seed_resize_from_w?: number;
  /** Default 512. */
  width?: number;
  height?: number;
  resize_mode?: ResizeMode;
  /** Batch count, default 1. */
  n_iter?: number;
  /** Batch size, default 1. */
  batch_size?: number;
  /** Model folder or file; default: the `model` setting. */
  model?: string;
  /** Write the PNGs (default true). When false the images come back only as base64 in the result. */
  save_images?: boolean;
  /** Return each image's PNG as base64 in the result (default false). */
  send_images?: boolean;
  /** Output root for this job (overrides the setting). */
  outdir?: string;
  /**
   * Inpainting mask (white = inpaint): a path, data URL or base64 image of any size (resized as A1111 does). A mask
   * with transparency — the panel's painted mask, strokes opaque on transparent PNG — is read from its alpha.
   */
  mask?: ImageRef;
  /** Use the init image's own transparent pixels as the mask (transparent = inpaint); instead of `mask`. */
  mask_from_alpha?: boolean;
  /** A1111 "Mask blur" 0..64, default 4: sets both directions; `mask_blur_x` / `mask_blur_y` override each. */
  mask_blur?: number;
  mask_blur_x?: number;
  mask_blur_y?: number;
  /** A1111 "Mask transparency" 0..100 (scales the mask: above 50 nothing is inpainted in latent space). */
  mask_alpha?: number;
  /** A1111 "Mask mode": 0 inpaint masked (default), 1 inpaint not masked. */
  inpainting_mask_invert?: 0 | 1;
  /** A1111 "Masked content": 0 fill, 1 original (default), 2 latent noise, 3 latent nothing. */
  inpainting_fill?: 0 | 1 | 2 | 3;
  /** A1111 "Inpaint area": false / 0 whole picture (default), true / 1 only masked. */
  inpaint_full_res?: boolean | 0 | 1;
  /** A1111 "Only masked padding, pixels" 0..256, default 32. */
  inpaint_full_res_padding?: number;
  /** A1111 initial noise multiplier for img2img (infotext "Noise multiplier"), default 1. */
  initial_noise_multiplier?: number;
  /**
   * A1111 "Restore faces": run the face restorer (override_settings.face_restoration_model, else the
   * `defaultFaceRestorer` setting) on each decoded image before the inpaint composite; infotext "Face restoration".
   */
  restore_faces?: boolean;
  /**
   * A1111 "Negative Guidance minimum sigma" (infotext "NGMS"): below this noise level every other model call runs
   * without the negative prompt. 0 = off; absent: override_settings, then the setting.
   */
  s_min_uncond?: number;
  /** A1111 token merging ratio for this job (wins over override_settings and the setting); 0 or absent: those decide. */
  token_merging_ratio?: number;
  /** A1111's Soft inpainting (built-in extension); absent or `enabled: false` = off. */
  soft_inpainting?: SoftInpaintingParams;
  /**
   * txt2img "Hires. fix": after the first pass, upscale (in latent space or with an image upscaler) and run an
   * img2img pass at the larger size with `denoising_strength`. Ignored with init images (img2img has no hires pass).
   */
  enable_hr?: boolean;
  /** "Upscale by", 1..8, default 2 (used when hr_resize_x and hr_resize_y are both 0). */
  hr_scale?: number;
  /**
   * "Upscaler": a latent mode ("Latent" (default), "Latent (antialiased)", "Latent (bicubic)", "Latent (bicubic
   * antialiased)", "Latent (nearest)", "Latent (nearest-exact)") or an image upscaler from `sd/upscalers.list`.
   */
  hr_upscaler?: string;
  /** "Hires steps"; 0 (default) = the first pass's steps. */
  hr_second_pass_steps?: number;
  /** "Resize width to" / "Resize height to": 0 = keep the aspect ratio from the other side. */
  hr_resize_x?: number;
  hr_resize_y?: number;
  /** Hires sampler / schedule type; absent or "Use same sampler" / "Use same scheduler" = the first pass's. */
  hr_sampler_name?: string;
  hr_scheduler?: string;
  /** Hires prompt / negative prompt; empty = the first pass's. */
  hr_prompt?: string;
  hr_negative_prompt?: string;
  /** Hires CFG scale (Forge's "Hires CFG Scale"); absent = the first pass's. */
  hr_cfg?: number;
  /** Hires checkpoint (a model folder or checkpoint file); absent or "Use same checkpoint" = the same model. */
  hr_checkpoint_name?: string;
  /** Beyond A1111, against seams: match the generated colours to the original's in the blend band only. */
  inpaint_colour_match?: boolean;
  /** Beyond A1111: latent mask by PIL bicubic resize (A1111's) or by the max over each 8×8 block (thin masks survive). */
  inpaint_latent_mask?: 'bicubic' | 'max';
  /** A1111's aesthetic-gradients extension (SD 1.x); absent = off. Infotext "Aesthetic LR", "Aesthetic weight", …. */
  aesthetic?: AestheticParams;
  /**
   * A1111 settings overridden for this job only (`img2img_fix_steps`, `randn_source`, `eta_noise_seed_delta`,
   * `inpainting_mask_weight` = "Inpainting conditioning mask strength" 0..1, default 1, `CLIP_stop_at_last_layers`,
   * `pad_cond_uncond` = "Pad prompt/negative prompt", default false: pad cond/uncond of different chunk counts
   * with the empty prompt instead of running them as separate UNet batches; infotext "Pad conds: True"),
   * `face_restoration_model` ("CodeFormer" or "GFPGAN") and `code_former_weight` (0..1, default 0.5) for restore_faces,
   * `sd_vae` = "SD VAE" for this job, A1111's saving options (`SaveOverrides`: samples_format, jpeg_quality,
   * webp_lossless, save_txt, grid_save, filename patterns, save_images_before_*, img2img_color_correction), and the
   * speed options below.
   */
  override_settings?: Partial<{
    img2img_fix_steps: boolean; randn_source: 'GPU' | 'CPU' | 'NV'; eta_noise_seed_delta: number; inpainting_mask_weight: number; CLIP_stop_at_last_layers: number; pad_cond_uncond: boolean;
    face_restoration_model: 'CodeFormer' | 'GFPGAN'; code_former_weight: number; sd_vae: string;
    /** SDXL size conditioning and the refiner's aesthetic scores (A1111 setting names; defaults from the daemon settings). */
    sdxl_crop_top: number; sdxl_crop_left: number; sdxl_refiner_low_aesthetic_score: number; sdxl_refiner_high_aesthetic_score: number;
    /** A1111 "Refiner switch by sampling steps" (infotexts before v1.8.0): switch after that share of the steps, not of the noise schedule. */
    refiner_switch_by_sample_steps: boolean;
    /** "Token merging ratio" 0..0.9 (0 = off). */
    token_merging_ratio: number;
    /** "Token merging ratio for high-res pass" (txt2img hires fix; 0 = the first pass's ratio). */
    token_merging_ratio_hr: number;
    /** "Negative Guidance minimum sigma" (as the top-level `s_min_uncond`, which wins). */
    s_min_uncond: number;
    /** "NGMS all steps": skip the uncond pass on every call below s_min_uncond, not every other one. */
    s_min_uncond_all: boolean;
    /** "VAE type for decode" / "VAE type for encode". */
    sd_vae_decode_method: VaeMethod;
    sd_vae_encode_method: VaeMethod;
  }> & SaveOverrides;
  /** A1111 styles (names in styles.csv) applied to the prompts, in order. */
  styles?: string[];
  /** A1111 `do_not_save_grid`: no grid for this job even with `grid_save` on. */
  do_not_save_grid?: boolean;
  /**
   * A1111 "Refiner" (SDXL): a checkpoint path, file name, name or A1111 title "name [hash]" under the models root's
   * Stable-diffusion/ folder; "None" or absent = off. The refiner replaces the model once sampling reaches
   * `refiner_switch_at` (infotext "Refiner", "Refiner switch at").
   */
  refiner_checkpoint?: string;
  /** A1111 "Switch at" 0..1, default 0.8 (1 = never). */
  refiner_switch_at?: number;
  /** Run on this backend only (a name from the `backends` setting); default: the least busy one with the model. */
  backend?: string;
  /** Client-chosen job id (so it can cancel before the result arrives); the daemon makes one when absent. */
  jobId?: string;
  /** LSP work-done progress token. */
  workDoneToken?: string | number;
}

/** A1111 Soft inpainting settings (defaults as the extension's). */
export interface SoftInpaintingParams {
  enabled?: boolean;
  /** "Schedule bias" 0..8, default 1. */
  schedule_bias?: number;
  /** "Preservation strength" 0..8, default 0.5. */
  preservation_strength?: number;
  /** "Transition contrast boost" 1..32, default 4. */
  transition_contrast_boost?: number;
  /** "Mask influence" 0..1, default 0. */
  mask_influence?: number;
  /** "Difference threshold" 0..8, default 0.5. */
  difference_threshold?: number;
  /** "Difference contrast" 0..8, default 2. */
  difference_contrast?: number;
}

/**
 * Params of `sd/outpaint`: grow the image and inpaint the new area. `resize-and-fill`: the image is fitted into
 * width×height and the bars are the mask; `mk2` / `poor-man`: A1111's outpainting scripts
 * (`scripts/outpainting_mk_2.py`, `scripts/poor_mans_outpainting.py`).
 */
export interface OutpaintParams extends Img2ImgParams {
  outpaint_method?: 'mk2' | 'poor-man' | 'resize-and-fill';
  /** Pixels to expand, 8..256, default 128. */
  pixels?: number;
  /** Default all four. */
  directions?: Array<'left' | 'right' | 'up' | 'down'>;
  /** The script's own mask blur (default 8 for mk2, 4 for poor man's). */
  outpaint_mask_blur?: number;
  /** mk2 "Fall-off exponent" 0..4, default 1. */
  noise_q?: number;
  /** mk2 "Color variation" 0..1, default 0.05. */
  color_variation?: number;
}

/** Params of `sd/batch` (A1111 img2img Batch tab, "From directory"). */
export interface BatchParams {
  /** Walked recursively, natural order; .png .jpg .jpeg .webp .tif .tiff. */
  input_dir: string;
  /** Files are named `<NNNNN>-<input stem>[-<n>].png` here; never overwritten. */
  output_dir: string;
  /** One file: the mask for every image; else `<stem>.*` per image (an image without one is skipped). */
  mask_dir?: string;
  /** "Append png info to prompts": take these fields from each input's own infotext. */
  png_info?: { fields?: Array<'Prompt' | 'Negative prompt' | 'Seed' | 'CFG scale' | 'Sampler' | 'Steps' | 'Model hash'>; dir?: string };
  /** Everything else, as for `sd/img2img` (init_images and mask are set per file). */
  params?: Img2ImgParams;
  jobId?: string;
  workDoneToken?: string | number;
}

/** One input of a batch run. */
export interface BatchFileReport {
  input: string;
  status: 'done' | 'failed' | 'skipped';
  outputs: string[];
  /** Why it failed or was skipped. */
  reason?: string;
}

export interface BatchResult {
  jobId: string;
  files: BatchFileReport[];
  done: number;
  failed: number;
  skipped: number;
  /** What the run skipped and went on without (as GenerationResult.warnings), once each. */
  warnings?: string[];
}

/**
 * A seed on the wire: a JSON number while it is exact (|seed| ≤ 2^53 − 1), else its decimal string, so seeds up
 * to 2^64 − 1 (as torch takes them) travel exactly. Requests accept either form for any seed.
 */
export type SeedJson = number | string;

export interface GeneratedImage {
  /** Where the PNG was written (absent when save_images was false). */
  path?: string;
  seed: SeedJson;
  width: number;
  height: number;
  /** The A1111 `parameters` text stored in the PNG. */
  infotext: string;
  /** PNG bytes, base64, when send_images was true. */
  png?: string;
}

/** Result of `sd/img2img`. */
export interface GenerationResult {
  jobId: string;
  /** The backend that ran the job ("local" or a name from the `backends` setting). */
  backend?: string;
  images: GeneratedImage[];
  /** The grid of a job of two or more images (A1111 `grid_save`), or a script's grid (X/Y/Z, prompt matrix). */
  grids?: GeneratedImage[];
  /** Params after defaults, random seed and infotext were resolved. */
  parameters: Img2ImgParams;
  /**
   * What the job skipped and went on without, named (A1111 prints these and goes on): an unreadable embedding,
   * LoRA or VAE-approx file in the models root, a LoRA tag naming no file. Absent when there were none.
   */
  warnings?: string[];
}

/** Params of `sd/infotext.parse`: A1111 infotext → img2img params (what `--infotext` and "paste" use). */
export interface InfotextParseParams {
  text: string;
}

export interface InfotextParseResult {
  /** Every field the text carried that maps to an img2img param. */
  params: Img2ImgParams;
  /** Every key/value of the parameter line, as strings, unknown keys included (A1111's parse result). */
  fields: Record<string, string>;
  /** Keys A1111 would apply that SD Studio does not yet (Refiner, ControlNet, ADetailer, …): warn the user. */
  notHonoured: string[];
  /** The warning naming them, or null when every setting is applied. */
  warning: string | null;
}

/** One entry of `sd/samplers.list`: the catalog shared by the CLI, panels and `.sdprompt` completions. */
export interface SamplerInfo {
  name: string;
  aliases: string[];
  defaultScheduler: string;
}

/**
 * A one-click preset for a family of few-step checkpoints (LCM, Turbo, Lightning, Hyper-SD — ordinary SD files):
 * the sampler, schedule, steps and CFG scale their authors recommend, in A1111's names.
 */
export interface FewStepPreset {
  name: string;
  /** Which checkpoints or LoRAs it is for. */
  models: string;
  sampler_name: string;
  scheduler: string;
  steps: number;
  cfg_scale: number;
  /** The ranges that also work, as the model cards put them. */
  note: string;
}

export interface SamplersListResult {
  samplers: SamplerInfo[];
  schedulers: string[];
  /** Few-step model presets (the panels' preset buttons, `.sdprompt` completions). */
  presets: FewStepPreset[];
}

// ---------------------------------------------------------------------------------------------------------
// Models: hashing, merging, converting.
// ---------------------------------------------------------------------------------------------------------

/** Params of `models/info`: what a model is, read from a checkpoint's header or a folder's files (nothing is loaded). */
export interface ModelsInfoParams {
  /** A checkpoint file or an ONNX folder; default: the `model` setting. */
  model?: string;
}

export interface ModelsInfoResult {
  model: string;
  /** 'unknown' when it cannot be read as a model (`problem` says why). ONNX folders of SD 1.x/2.x say 'sd1' or 'sd2' by their tokenizer's padding. */
  family: 'sd1' | 'sd2' | 'sdxl' | 'sdxl-refiner' | 'unknown';
  /** The generation size the daemon uses when a request gives none: 1024 for SDXL, 512 otherwise. */
  defaultSize: number;
  /** Checkpoints under the models root's Stable-diffusion/ folder, as A1111 names them (the Refiner choices). */
  checkpoints: string[];
  problem?: string;
}

/** Params of `models/hash`: model files to hash the way A1111 and Civitai do (cached by path + size + mtime). */
export interface ModelsHashParams {
  files: string[];
}

/** One file's hashes. */
export interface ModelFileHashes {
  path: string;
  size: number;
  /** Full-file SHA-256, hex. */
  sha256: string;
  /** A1111 "Model hash" / "VAE hash" (AutoV2): sha256[0:10]. */
  autoV2: string;
  /** A1111's legacy 8-hex `model_hash` (64 KiB at 1 MiB). */
  legacy: string;
  /** SHA-256 of a safetensors file after its header (safetensors only). */
  addnet?: string;
  /** A1111 "Lora hashes" value (sshs_model_hash, else addnet, else sha256): 12 hex. */
  lora: string;
  /** A1111 "TI hashes" value: sha256[0:12]. */
  ti: string;
}

export interface ModelsHashResult {
  files: ModelFileHashes[];
}

/** One entry of SD Studio's cache (`cache/list`): a checkpoint build, a LoRA/VAE variant, a derived graph. */
export interface CacheEntryInfo {
  path: string;
  kind: 'checkpoint' | 'variant' | 'text encoder' | 'upscaler' | 'taesd' | 'unfinished';
  /** What it was built from ("model.safetensors + <lora:x:0.8>"). */
  title: string;
  /** Bytes only this entry holds (freed by removing it; bytes shared with others through hard links are not). */
  bytes: number;
  /** ISO time of last use. */
  lastUsed: string;
  /** The daemon's loaded model uses it. */
  inUse: boolean;
}

export interface CacheListResult {
  dir: string;
  entries: CacheEntryInfo[];
  /** Every cached byte, each file once (links into the user's own model files cost nothing). */
  totalBytes: number;
  /** The limit in force (setting cacheLimitGB), bytes. */
  limitBytes: number;
}

export interface CacheClearResult {
  removed: number;
  freedBytes: number;
  /** Entries kept because the loaded model uses them. */
  kept: number;
}

/** A1111 Checkpoint Merger interpolation methods. */
export type MergeMethod = 'no-interpolation' | 'weighted-sum' | 'add-difference';

/** Params of `models/merge` (A1111's Checkpoint Merger tab). Runs as a job; output is always .safetensors. */
export interface ModelsMergeParams {
  primary: string;
  /** Required by weighted-sum and add-difference. */
  secondary?: string;
  /** Required by add-difference. */
  tertiary?: string;
  method: MergeMethod;
  /** M; weighted sum = (1−M)·A + M·B, add difference = A + M·(B − C). */
  multiplier: number;
  /** A1111 "Save as float16". */
  saveAsHalf?: boolean;
  /** VAE file baked into `first_stage_model.*`. */
  bakeVae?: string;
  /** Regex of keys to drop. */
  discard?: string;
  /** Output path (.safetensors); written atomically. */
  out: string;
  /** Replace a file that exists at `out` (default false: an existing file is refused with OutputExists, before any work). */
  overwrite?: boolean;
  customName?: string;
  /** A1111 metadata options, default on; `metadata` is the JSON editor's contents. */
  saveMetadata?: boolean;
  addRecipe?: boolean;
  copyMetadata?: boolean;
  metadata?: Record<string, string>;
  jobId?: string;
  workDoneToken?: string | number;
}

export interface ModelsMergeResult {
  jobId: string;
  out: string;
  tensors: number;
  bytes: number;
  /** Hashes of the written file. */
  sha256: string;
  shortHash: string;
  isInpainting: boolean;
  isInstructPix2Pix: boolean;
  metadata: Record<string, string>;
}

/** Params of `models/convert`: a .ckpt/.pt/.bin (or any readable weights file) → .safetensors, as a job. */
export interface ModelsConvertParams {
  input: string;
  out: string;
  /** Replace a file that exists at `out` (default false: an existing file is refused with OutputExists, before any work). */
  overwrite?: boolean;
  jobId?: string;
  workDoneToken?: string | number;
}

export interface ModelsConvertResult {
  jobId: string;
  out: string;
  tensors: number;
  bytes: number;
  /** Non-tensor entries left out (`global_step`, ...). */
  dropped: string[];
  /** Recorded in the output's metadata as `sd_studio_source_sha256`. */
  sourceSha256: string;
  sha256: string;
  shortHash: string;
}

/**
 * Params of `models/convertOnnx`, as a job: a single-file SD 1.x/2.x checkpoint → a diffusers ONNX folder, or a
 * network weights file (GFPGAN, CodeFormer, RetinaFace, facexlib ParseNet, CLIP image encoder — OpenAI's
 * ViT-L-14.pt TorchScript archive, its visual.* tensors or a Hugging Face CLIPModel —, DeepDanbooru, ESRGAN-family
 * upscaler; `.pth` with or without a params_ema / params wrapper, or .safetensors) → `out/model.onnx` +
 * `out/model.json`.
 */
export interface ModelsConvertOnnxParams {
  /** .safetensors, .ckpt, .pth or .pt. */
  checkpoint: string;
  /** Output folder; must not exist or be empty. */
  out: string;
  /**
   * SD: architecture description for head counts the weights cannot give (sd-tiny *.config.json form or ldm
   * .yaml). Networks: a JSON object whose `n_head` (or `config.n_head`) sets CodeFormer's attention heads.
   */
  config?: string;
  /** Separate VAE file baked into vae_encoder/vae_decoder. */
  vae?: string;
  /** fp16 text encoder and UNet (GPU providers); the VAE stays fp32. */
  fp16?: boolean;
  /** A folder with vocab.json + merges.txt to copy as tokenizer/. */
  tokenizer?: string;
  /** Overrides A1111's guess of the prediction type. */
  prediction?: 'epsilon' | 'v_prediction';
  jobId?: string;
  workDoneToken?: string | number;
}

/** A Stable Diffusion checkpoint converted to a diffusers ONNX folder. */
export interface SdConvertOnnxResult {
  jobId: string;
  kind: 'sd';
  dir: string;
  /** "SD 1.x inpainting, fp16 weights, epsilon". */
  summary: string;
  family: 'sd1' | 'sd2' | 'sdxl' | 'sdxl-refiner';
  variant: 'normal' | 'inpainting' | 'instruct-pix2pix';
  precision: 'fp32' | 'fp16' | 'bf16' | 'mixed';
  prediction: 'epsilon' | 'v_prediction';
  /** How the prediction type was decided. */
  predictionSource: 'override' | 'config' | 'a1111-rule' | 'unet-test' | 'checkpoint-marker';
  sha256: string;
  /** 'missing': tokenizer/ must be added before the folder is usable. */
  tokenizer: 'copied' | 'missing';
  /** Per part: weights read in place from the checkpoint (hard link) vs converted into weights.bin. */
  parts: Record<string, { pointed: number; converted: number; convertedBytes: number }>;
  seconds: number;
}

/** A network file converted to `dir/model.onnx`, its contract in `dir/model.json`. */
export interface NetworkConvertOnnxResult {
  jobId: string;
  kind: 'network';
  dir: string;
  network: 'gfpgan' | 'codeformer' | 'retinaface' | 'parsenet' | 'clip-vision' | 'deepdanbooru' | 'esrgan';
  /** "GFPGANv1Clean 512 px, style 512×16, sft_half". */
  arch: string;
  /** The image input and how the caller normalises it (model.json `input`). */
  input: { name: string; shape: Array<number | string>; channels: 'RGB' | 'BGR'; preprocess: string };
  /** Output names, main output first. */
  outputs: string[];
  sha256: string;
  pointed: number;
  converted: number;
  seconds: number;
}

export type ModelsConvertOnnxResult = SdConvertOnnxResult | NetworkConvertOnnxResult;

// <models-section>

// ---------------------------------------------------------------------------------------------------------
// Prompts: the inspector behind `sd-studio prompt` and the .sdprompt language features
// ---------------------------------------------------------------------------------------------------------

// <prompt-section>

/**
 * Params of `sd/prompt.inspect` (sent by the `sd-studio prompt` CLI and, later, the .sdprompt language features):
 * how A1111 reads a prompt — schedules, AND parts, tokens and chunks, LoRA tags, diagnostics. Quick, no job.
 */
export interface PromptInspectParams {
  text: string;
  /** Sampling steps the schedules are computed for; default 20 (A1111's). */
  steps?: number;
  /**
   * Steps of a hires-fix second pass: `schedules` are then the second pass's, counted over both passes as A1111's
   * `get_learned_conditioning_prompt_schedules(prompts, steps, hires_steps)` counts them.
   */
  hiresSteps?: number;
  /** A diffusers model folder whose `tokenizer/` to use; else env SD_STUDIO_TOKENIZER, else the configured model. */
  model?: string;
  /** A negative prompt: no AND split. */
  negative?: boolean;
}

/** One diagnostic on the prompt text; offsets are UTF-16 indices into `text`. */
export interface PromptDiagnosticInfo {
  start: number;
  end: number;
  severity: 'error' | 'warning' | 'info';
  /** Whether A1111 accepts the prompt with this in it (reading it its own way) or stops with an error. */
  a1111: 'accepts' | 'fails';
  code: string;
  message: string;
}

/** The first six fields are exactly the CLI's published `sd-studio prompt --json` shape. */
export interface PromptInspectResult {
  /** Every (end step, text) of every AND part, with A1111's parse_prompt_attention of the text (null where it raises). */
  schedules: { end: number; text: string; attention: [string, number][] | null }[];
  and: { text: string; weight: number }[];
  /** Tokens in each 75-token chunk of the longest scheduled text; [] without a tokenizer. */
  chunks: { tokens: number }[];
  /** A1111's token counter; null without a tokenizer. */
  tokenCount: number | null;
  loras: { name: string; weight: number }[];
  embeddings: string[];
  /** The tokenizer folder used, or null when none was found (token fields are then empty). */
  tokenizer: string | null;
  diagnostics: PromptDiagnosticInfo[];
}

// ---------------------------------------------------------------------------------------------------------
// PNG info: reading every generator's metadata, writing A1111 infotext
// ---------------------------------------------------------------------------------------------------------

/** A JSON value as stored in image metadata (generators' own records keep their shapes). */
export type PngInfoJson = string | number | boolean | null | PngInfoJson[] | { [key: string]: PngInfoJson };

/**
 * The generation settings read from one image, whatever wrote them (A1111/Forge/SD.Next infotext, also hidden in
 * pixels; ComfyUI graph, SwarmUI, InvokeAI, NovelAI, Fooocus, Civitai, TensorArt, Draw Things, Easy Diffusion,
 * kohya, diffusers; Midjourney and C2PA/XMP-marked generators with their prompt only). Absent fields are null;
 * `parameters` has every key the format carries.
 */
export interface PngInfo {
  file: string;
  /** The real container, from the magic bytes (an extension can lie). */
  container: 'png' | 'jpeg' | 'webp' | 'unknown';
  format:
    | 'a1111' | 'comfyui' | 'swarmui' | 'invokeai' | 'invokeai-legacy' | 'novelai' | 'fooocus' | 'civitai' | 'tensorart'
    | 'drawthings' | 'easydiffusion' | 'kohya' | 'diffusers' | 'midjourney' | 'provenance' | 'json' | 'none';
  generator: string | null;
  /** Metadata keyword the settings came from ("parameters", "EXIF:UserComment", "prompt", ...). */
  source: string | null;
  prompt: string | null;
  /** null: the format has none here; "": present but empty. */
  negativePrompt: string | null;
  steps: number | null;
  sampler: string | null;
  scheduleType: string | null;
  cfgScale: number | null;
  /** Exact decimal string when beyond 2^53. */
  seed: number | string | null;
  width: number | null;
  height: number | null;
  modelHash: string | null;
  model: string | null;
  denoisingStrength: number | null;
  /** True when the settings were guessed from JSON no known generator writes ("json" format): check them. */
  guessed: boolean;
  parameters: { [key: string]: PngInfoJson };
  /** The A1111 infotext, when the image carries one (another writer's A1111-style text: with A1111's names). */
  infotext: string | null;
  /** Every metadata text: keyword → text (EXIF tags as "EXIF:<Tag>"). */
  raw: Record<string, string>;
  /** What could not be read or parsed; empty for a sound file with settings. */
  problems: string[];
}

/** Client → daemon: read the generation info of image files (metadata; a PNG's pixel LSBs only when its text gave no settings). */
export interface PngInfoReadParams {
  files: string[];
}

export interface PngInfoReadResult {
  /** One per file, in order; a file that cannot be opened gives format "none" and a problem. */
  infos: PngInfo[];
  /** `sd/img2img` params from each file's settings (send-to), in the same order; null when it has none. */
  img2img: Array<Img2ImgParams | null>;
  /** Send to inpaint: the file as the source image, with its settings. */
  inpaint: Img2ImgParams[];
  /** Send to extras: the file, with the upscale settings its `extras` text records. */
  extras: ExtrasParams[];
  /** Per file: the warning naming infotext settings send-to cannot apply yet (see InfotextParseResult), or null. */
  warnings: Array<string | null>;
  /**
   * Per file: the A1111 infotext of its settings (its own text, or one written from another generator's fields with
   * A1111's names), for "Copy infotext" and `.sdprompt` specs; null when it has no settings.
   */
  infotexts: Array<string | null>;
}

/**
 * Client → daemon: copy an image to a NEW file carrying an A1111 infotext (PNG tEXt/iTXt "parameters";
 * JPEG/WebP EXIF UserComment). Pixels are copied as they are; the source is never modified.
 */
export interface PngInfoWriteParams {
  file: string;
  out: string;
  infotext: string;
  /** Replace a file that exists at `out` (default false: an existing file is refused with OutputExists). */
  overwrite?: boolean;
}

export interface PngInfoWriteResult {
  out: string;
}

// ---------------------------------------------------------------------------------------------------------
// Extras (upscaling and face restoration): field names of A1111's /sdapi/v1/extra-batch-images
// ---------------------------------------------------------------------------------------------------------

/**
 * Params of `sd/extras` (sent by the `sd-studio extras` CLI and the Extras panel): post-process images as A1111's
 * Extras tab does — upscale (scale by / scale to, optional second upscaler blended in), then GFPGAN, then
 * CodeFormer — and save each result with the source's PNG info plus the "Postprocess …" lines. A job; a bad file
 * is reported in its entry of the result and the batch goes on.
 */
export interface ExtrasParams {
  /** Images to process: files or inline images (ImageRef). */
  images?: ImageRef[];
  /** A folder: every file in it, non-recursive, as A1111's "Batch from directory". */
  input_dir?: string;
  /** Results go straight into this folder with the source's name (A1111 batch output dir); else `<outdir>/extras-images/NNNNN.png`. */
  output_dir?: string;
  /** Output root (overrides the `outputDir` setting) when output_dir is not given. */
  outdir?: string;
  /** 0: scale by `upscaling_resize` (default); 1: scale to `upscaling_resize_w`×`upscaling_resize_h`. */
  resize_mode?: 0 | 1;
  /** Scale by; default 4 (A1111's Extras default). */
  upscaling_resize?: number;
  upscaling_resize_w?: number;
  upscaling_resize_h?: number;
  /** Scale to: paste centred onto a black W×H canvas (default true, as A1111). */
  upscaling_crop?: boolean;
  /** A1111 "Max side length" for scale by; 0 = off. */
  max_side_length?: number;
  /** Upscaler name from `sd/upscalers.list` ("None", "Lanczos", "Nearest", a model); default: the `defaultUpscaler` setting. */
  upscaler_1?: string;
  upscaler_2?: string;
  /** 0..1: result = upscaler 1 · (1 − v) + upscaler 2 · v. Default 0. */
  extras_upscaler_2_visibility?: number;
  /** 0..1, 0 = off (default). */
  gfpgan_visibility?: number;
  /** 0..1, 0 = off (default). */
  codeformer_visibility?: number;
  /** CodeFormer fidelity weight 0..1; 0 = strongest effect (A1111 Extras default 0). */
  codeformer_weight?: number;
  /** Visibility for the `defaultFaceRestorer` setting's restorer (the CLI's --face-visibility without --face-restorer). */
  face_visibility?: number;
  /** Debug: write every aligned face crop and its restored face as PNGs into this folder. */
  faces_debug_dir?: string;
  /** Return each result's PNG as base64 (default false). */
  send_images?: boolean;
  /** Write the PNGs (default true). */
  save_images?: boolean;
  /**
   * Run the upscaler and face-restorer models on this backend (a name from the `backends` setting); default this
   * machine. Upscaler names are then the backend's own.
   */
  backend?: string;
  jobId?: string;
  workDoneToken?: string | number;
}

/** One input's outcome: a written image, or the error that stopped this input (others still ran). */
export interface ExtrasImageResult {
  /** The input as given (path, or "images[i]" for inline data). */
  source: string;
  path?: string;
  width?: number;
  height?: number;
  /** The "extras" PNG text written (A1111's "Postprocess upscale by: 4, Postprocess upscaler: …"). */
  info?: string;
  png?: string;
  error?: string;
}

export interface ExtrasResult {
  jobId: string;
  images: ExtrasImageResult[];
  /** How many inputs failed. */
  failed: number;
  /** Things the user should know about the whole job (e.g. the fallback face detector is in use), once each. */
  notices?: string[];
}

/** One entry of `sd/upscalers.list`. */
export interface UpscalerInfo {
  /** The name to pass as upscaler_1 / upscaler_2 / `--upscaler`. */
  name: string;
  kind: 'none' | 'lanczos' | 'nearest' | 'model';
  /** Weights / ONNX file, or the TF.js model.json of a built-in. */
  path?: string;
  /** Shipped with SD Studio (no download). */
  builtin?: boolean;
  /** The A1111 models folder it was found in (ESRGAN, RealESRGAN, SwinIR, DAT). */
  folder?: string;
}

export interface UpscalersListResult {
  upscalers: UpscalerInfo[];
  /** The `defaultUpscaler` setting in force. */
  defaultUpscaler: string;
}

/**
 * Params of `sd/sdprompt.fromImage` (sent by the extension's "Regenerate from image…"): an image's generation
 * settings as a `.sdprompt` spec, printed exactly as `sd-studio pnginfo FILE --to-sdprompt` prints it.
 */
export interface SdPromptFromImageParams {
  file: string;
  /** The `.sdprompt` file the spec will go into: `@init` is written relative to its folder (absolute when absent). */
  sdpromptFile?: string;
}

export interface SdPromptFromImageResult {
  /** The printed spec, ending with a newline; null when the image carries no generation settings. */
  text: string | null;
  format: PngInfo['format'];
  problems: string[];
  /** The warning naming infotext settings SD Studio cannot apply yet (see InfotextParseResult), or null. */
  warning: string | null;
}

/**
 * Params of `sd/sdprompt.run`: run the specs of a `.sdprompt` file as one job (what `sd-studio run` and the
 * editor's "▶ Generate" lenses do). Each spec is txt2img without `@init`, img2img with it, inpaint with `@mask`;
 * paths are relative to the file's folder. A failing spec is reported and the next one runs.
 */
export interface SdPromptRunParams {
  /** The `.sdprompt` file; its folder anchors relative paths. */
  file?: string;
  /** The text to run instead of the file's content (an editor's unsaved text). One of file / text is needed. */
  text?: string;
  /** 0-based spec indexes (the number of `---` lines above the spec); default every spec. */
  only?: number[];
  /** Each spec with K seeds (batch count × K), as "Generate ×4 seeds". */
  seeds?: number;
  /** Values for keys a spec leaves out (the editor's generation defaults: sampler, steps, size, …). */
  defaults?: Img2ImgParams;
  /**
   * The model of every spec (`--model`). Default: the configured model (setting / SD_STUDIO_MODEL), else the
   * checkpoint the spec's `Model:` / `Model hash:` names, found in the models root.
   */
  model?: string;
}

export interface SdPromptSpecReport {
  /** As in `only`. */
  index: number;
  /** 0-based line of the spec's first line in the file. */
  line: number;
  /** The prompt's start, for reports. */
  title: string;
  status: 'done' | 'failed' | 'cancelled';
  /** Why it failed: names the file or field. */
  error?: string;
  /** Settings of the spec SD Studio cannot apply yet (see InfotextParseResult), or null. */
  warning: string | null;
  /** The model the spec ran on. */
  model?: string;
  /** What the spec made (an X/Y/Z plot spec: its grids first, then the cells). */
  images: GeneratedImage[];
  parameters?: Img2ImgParams;
}

export interface SdPromptRunResult {
  jobId: string;
  specs: SdPromptSpecReport[];
  done: number;
  failed: number;
}

// <pnginfo-section>

// ---------------------------------------------------------------------------------------------------------
// GPU support: the ONNX Runtime CUDA provider libraries, downloaded into the user data folder
// ---------------------------------------------------------------------------------------------------------

/**
 * Result of `sd/gpu.status`. The daemon's user data folder is SD_STUDIO_DATA_DIR (the extension passes its global
 * storage) or the platform's per-user data folder (the CLI's).
 */
export interface GpuStatusResult {
  /** `linux-x64`, `win32-x64`, ... */
  platform: string;
  /** The bundled onnxruntime-node version the download must match. */
  onnxruntimeVersion: string;
  dataDir: string;
  /** The ONNX Runtime this daemon runs: the bundled package, or the installed GPU runtime copy. */
  runtime: 'bundled' | 'gpu-runtime';
  runtimeDir: string;
  /** Why an installed GPU runtime is not in use (incomplete, another version); absent when fine. */
  runtimeProblem?: string;
  /** Providers this daemon can start (CPU always; built-in ones; CUDA with the GPU runtime). */
  providers: string[];
  /** What `sdStudio.executionProvider: auto` tries here, in order. */
  autoProviders: string[];
  /** The download for this platform (NuGet package id and the providers it enables); null: none exists. */
  download: { package: string; providers: string[]; requires: string } | null;
  /** An installed runtime copy (used after the next daemon start when `runtime` is still `bundled`). */
  installed: { dir: string; package: string; version: string; installedAt: string } | null;
  /** One sentence for people: what to do next. */
  advice: string;
}

/** Params of `sd/gpu.install` (a job: progress in bytes, cancellable, resumable by running it again). */
export interface GpuInstallParams {
  /** NuGet v3 service index to download from (a mirror); default https://api.nuget.org/v3/index.json. */
  feed?: string;
  jobId?: string;
  workDoneToken?: string | number;
}

/** A provider started (or not) in the new runtime, checked in a child process. */
export interface GpuProviderCheck {
  provider: string;
  ok: boolean;
  /** ONNX Runtime's message when it failed: names the missing library or driver. */
  message: string;
}

export interface GpuInstallResult {
  jobId: string;
  runtimeDir: string;
  package: { id: string; version: string; url: string; sha512: string; size: number };
  /** Bytes already on disk from an interrupted earlier install (0: a fresh download). */
  resumedFrom: number;
  /** Bytes downloaded by this install. */
  transferred: number;
  /** The provider libraries installed beside libonnxruntime (relative to runtimeDir). */
  libraries: string[];
  checks: GpuProviderCheck[];
  /** The daemon keeps its ONNX Runtime until it restarts: true until then. */
  restartNeeded: boolean;
}

export interface GpuRemoveResult {
  removed: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Styles (A1111's styles.csv) and scripts: X/Y/Z plot, prompt matrix, prompts from file or textbox
// ---------------------------------------------------------------------------------------------------------

/** One A1111 style: `{prompt}` in its prompt marks where the prompt goes; otherwise the style text is appended. */
export interface PromptStyleInfo {
  name: string;
  prompt: string;
  negative_prompt: string;
}

export interface StylesListResult {
  /** The styles.csv read (the `stylesFile` setting, or the A1111 install's); null when none can be located. */
  file: string | null;
  styles: PromptStyleInfo[];
}

/** Client → daemon: add a style to styles.csv (A1111's "Save style"); the old file is kept as styles.csv.bak. */
export interface StylesSaveParams {
  style: PromptStyleInfo;
  /** Replace a style of the same name (default false: an existing name is an error). */
  overwrite?: boolean;
}

export interface StylesDeleteParams {
  name: string;
}

/** Client → daemon: A1111's "Apply styles" button — the styles' texts merged into the prompts. */
export interface StylesApplyParams {
  prompt: string;
  negative_prompt: string;
  styles: string[];
}

/** One axis of the X/Y/Z plot: an A1111 axis label ("Steps", "Sampler", "Prompt S/R", …) and its values text. */
export interface XyzAxisParams {
  type: string;
  /** As A1111 writes them: comma-separated (CSV quotes allowed), `1-5` / `1-5 (+2)` ranges, `10-20 [5]` counts. */
  values: string;
}

/**
 * Params of `sd/xyz` (A1111's "X/Y/Z plot" script): one generation per cell of `params` with the axes' values
 * applied (each saved with its own infotext), and the labelled grid. An absent axis is "Nothing". The result's
 * `images` are the cells' images in grid order (X fastest, then Y, then Z), whatever order the cells ran in.
 */
export interface XyzParams {
  x?: XyzAxisParams;
  y?: XyzAxisParams;
  z?: XyzAxisParams;
  /** "Draw legend", default true. */
  draw_legend?: boolean;
  /** "Keep -1 for seeds": each cell draws its own random seed (default false: one seed fixed for the plot). */
  no_fixed_seeds?: boolean;
  /** "Include Sub Grids": with several Z values, also save the grid of each. */
  include_sub_grids?: boolean;
  /** "Grid margins (px)" 0..500, default 0. */
  margin_size?: number;
  /** "Vary seeds for X / Y / Z": each cell's seed plus its index along those axes (A1111's running offset). */
  vary_seeds?: { x?: boolean; y?: boolean; z?: boolean };
  /** The job every cell starts from (txt2img without init images). */
  params: Img2ImgParams;
  jobId?: string;
  workDoneToken?: string | number;
}

/** One axis type of `sd/xyz.axes`. */
export interface XyzAxisInfo {
  label: string;
  type: 'int' | 'float' | 'str' | 'permutations';
  /** Only for this tab (A1111's txt2img-only and img2img-only axes). */
  tab?: 'txt2img' | 'img2img';
  /** The values A1111's fill button offers (samplers, schedules, checkpoints, VAEs, styles, upscalers). */
  choices?: string[];
}

/**
 * Params of `sd/promptMatrix` (A1111's "Prompt matrix" script): the prompt's `|` parts switched on and off, one
 * image per combination, and the labelled grid.
 */
export interface PromptMatrixParams {
  /** "Put variable parts at start of prompt". */
  put_at_start?: boolean;
  /** "Use different seed for each picture". */
  different_seeds?: boolean;
  /** "Select prompt": the positive (default) or negative prompt holds the `|` parts. */
  prompt_type?: 'positive' | 'negative';
  /** "Select joining char": comma (default) or space. */
  variations_delimiter?: 'comma' | 'space';
  margin_size?: number;
  params: Img2ImgParams;
  jobId?: string;
  workDoneToken?: string | number;
}

/**
 * Params of `sd/promptsFromFile` (A1111's "Prompts from file or textbox"): one generation per non-empty line, a
 * line being a prompt or `--prompt "…" --steps 30 …` options.
 */
export interface PromptsFromFileParams {
  /** The lines (the file's text, or the textbox's). */
  text: string;
  /** "Iterate seed every line". */
  iterate_seed?: boolean;
  /** "Use same random seed for all lines". */
  same_seed?: boolean;
  /** "Insert prompts at the": start (default) or end of the job's own prompt. */
  prompt_position?: 'start' | 'end';
  params: Img2ImgParams;
  jobId?: string;
  workDoneToken?: string | number;
}

// ---------------------------------------------------------------------------------------------------------
// A1111's HTTP API served by the daemon, and remote backends
// ---------------------------------------------------------------------------------------------------------

/**
 * Params of `sd/api.start` (sent by the extension when `sdStudio.api.enabled` is on): serve A1111's `/sdapi/v1`
 * from this daemon, on its job queue. Binds 127.0.0.1 unless `listen`, which requires `auth`.
 */
export interface ApiStartParams {
  /** Default 7860 (A1111's); 0 picks a free port. */
  port?: number;
  /** Serve every network interface (A1111 --listen); refused without `auth`. */
  listen?: boolean;
  /** A1111 --api-auth "USER:PASS[,USER2:PASS2]" (HTTP basic auth). */
  auth?: string;
  /** A1111 --cors-allow-origins: browser origins allowed to call the API; none by default. */
  corsOrigins?: string[];
}

export interface ApiStatus {
  running: boolean;
  /** "http://127.0.0.1:7860" while running. */
  url?: string;
}

/** One entry of `sd/backends.list`. */
export interface BackendStatus {
  name: string;
  kind: BackendConfig['kind'];
  url?: string;
  /** 'unknown' until the daemon has reached it once. */
  state: 'up' | 'down' | 'unknown';
  /** Running a job of this daemon now. */
  busy: boolean;
  /** Checkpoint names it offers (empty for `local`: it runs whatever model path it is given). */
  models: string[];
  /** Why it is down. */
  error?: string;
}

// <api-section>

// ---------------------------------------------------------------------------------------------------------
// Interrogate (A1111's Interrogate CLIP / Interrogate DeepBooru buttons and /sdapi/v1/interrogate)
// ---------------------------------------------------------------------------------------------------------

/** A1111's Settings → Interrogate, with A1111's defaults; WD14 fields follow the WD14 tagger extension. */
export interface InterrogateSettings {
  /** interrogate_keep_models_in_memory (false): otherwise the models are released after each request. */
  keepModelsInMemory: boolean;
  /** interrogate_return_ranks (false): matches written "(term:0.123)". */
  returnRanks: boolean;
  /** interrogate_clip_num_beams (1). */
  clipNumBeams: number;
  /** interrogate_clip_min_length (24) and interrogate_clip_max_length (48), in tokens, the prompt included. */
  clipMinLength: number;
  clipMaxLength: number;
  /** interrogate_clip_dict_limit (1500): lines used from each term list; 0 = all. */
  clipDictLimit: number;
  /** interrogate_clip_skip_categories ([]): term-list file stems not ranked. */
  clipSkipCategories: string[];
  /** interrogate_deepbooru_score_threshold (0.5). */
  deepbooruThreshold: number;
  /** deepbooru_sort_alpha (true): alphabetical, else by score. */
  deepbooruSortAlpha: boolean;
  /** deepbooru_use_spaces (true): "_" → " ". */
  deepbooruUseSpaces: boolean;
  /** deepbooru_escape (true): backslash before ( ) \. */
  deepbooruEscape: boolean;
  /** deepbooru_filter_tags (""): comma-separated tags never written. */
  deepbooruFilterTags: string;
  /** WD14 tagger: threshold for general tags (0.35, the tagger extension's default). */
  wd14Threshold: number;
  /** WD14 tagger to use (folder or repo name); "" = the first one found. */
  wd14Model: string;
}

/** Interrogation methods; A1111's API calls DeepBooru "deepdanbooru". */
export type InterrogateMethod = 'clip' | 'deepbooru' | 'wd14';

/**
 * Params of `sd/interrogate` (the panels' 📎 / 📦 buttons, `sd-studio interrogate`, the HTTP API): describe images
 * as A1111 does. A job; one bad image is reported in its entry and the rest go on.
 */
export interface InterrogateParams {
  images?: ImageRef[];
  /** Every image file in this folder (non-recursive, sorted). */
  input_dir?: string;
  /** "clip" (default: BLIP caption + CLIP term ranking), "deepbooru" (or "deepdanbooru") or "wd14". */
  model?: InterrogateMethod | 'deepdanbooru';
  /** Batch: write each caption to `<stem>.txt` in this folder. */
  output_dir?: string;
  /** Batch: write each caption to `<stem>.txt` beside its image (when no output_dir). */
  write_captions?: boolean;
  /** Replace existing .txt files (default false: an existing one is kept and the input reported as skipped). */
  overwrite?: boolean;
  /** This request's settings (the rest come from DaemonSettings.interrogate). */
  settings?: Partial<InterrogateSettings>;
  jobId?: string;
  workDoneToken?: string | number;
}

export interface InterrogateImageResult {
  /** The input as given (path, or "images[i]" for inline data). */
  source: string;
  /** What A1111 returns: the prompt text. */
  caption?: string;
  /** The .txt written for it. */
  txt?: string;
  /** The parts: BLIP's caption and each term list's matches (clip), or the kept tags with their scores (taggers). */
  details?: {
    caption?: string;
    categories?: Array<{ name: string; matches: Array<{ text: string; score: number }> }>;
    tags?: Array<{ tag: string; score: number }>;
  };
  /** Why it was not written (an existing .txt). */
  skipped?: string;
  error?: string;
}

export interface InterrogateResult {
  jobId: string;
  method: InterrogateMethod;
  images: InterrogateImageResult[];
  failed: number;
  /** Things to know about the whole job (which term lists were used, ...), once each. */
  notices?: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Aesthetic embeddings (A1111's aesthetic-gradients extension)
// ---------------------------------------------------------------------------------------------------------

/** The extension's per-generation settings (its UI defaults). */
export interface AestheticParams {
  /** An embedding name from `sd/aesthetic.list` (aesthetic_embeddings/NAME.pt) or a .pt path. */
  embedding: string;
  /** "Aesthetic weight" 0..1, default 0.9. */
  weight?: number;
  /** "Aesthetic steps" 0..50, default 5. */
  steps?: number;
  /** "Aesthetic learning rate", default 0.0001. */
  lr?: number;
  /** "Slerp interpolation" (default false: linear). */
  slerp?: boolean;
  /** "Slerp angle" 0..1, default 0.1 (used with `text`). */
  slerp_angle?: number;
  /** "Aesthetic text for imgs": rotates the embedding toward this text's features. */
  text?: string;
  /** "Is negative text": rotate away from it. */
  text_negative?: boolean;
}

/** Params of `sd/aesthetic.create` (a job): the extension's "Create aesthetic embedding" tab. */
export interface AestheticCreateParams {
  name: string;
  /** Folder of images (.png .jpg .jpeg .gif .tiff .webp, non-recursive). */
  input_dir: string;
  /** Where NAME.pt goes; default the models root's aesthetic_embeddings folder. */
  out_dir?: string;
  /** Replace an existing NAME.pt (default false: an error). */
  overwrite?: boolean;
  /**
   * Average the features after normalising each (default true); false averages them as they come, as the A1111
   * extension's generate_imgs_embd does (the mean is normalised when the embedding is used, either way).
   */
  normalize_each?: boolean;
  jobId?: string;
  workDoneToken?: string | number;
}

export interface AestheticCreateResult {
  jobId: string;
  path: string;
  /** Images averaged. */
  images: number;
  /** Files that could not be read (skipped). */
  failed: Array<{ file: string; error: string }>;
  /** Embedding width (768 for ViT-L/14). */
  dim: number;
  seconds: number;
}

export interface AestheticListResult {
  embeddings: Array<{ name: string; path: string }>;
  /** Where `sd/aesthetic.create` writes by default; null without a models root. */
  folder: string | null;
}

// ---------------------------------------------------------------------------------------------------------
// The method table: every request and notification once. Clients and the daemon are typed from it.
// ---------------------------------------------------------------------------------------------------------

export interface RequestTypes {
  /** Run img2img (txt2img without init image) as a job; resolves when the job ends. */
  'sd/img2img': { params: Img2ImgParams; result: GenerationResult };
  /** Cancel a job by id. */
  'sd/job.cancel': { params: JobCancelParams; result: JobInfo };
  /**
   * A1111's Skip: stop sampling the running job's current batch; its images are decoded from the latest
   * prediction and saved, and the job goes on with the next batch.
   */
  'sd/job.skip': { params: JobCancelParams; result: JobInfo };
  /** List queued, running and recently finished jobs. */
  'sd/jobs.list': { params: Record<string, never>; result: { jobs: JobInfo[] } };
  /** Replace some settings; returns all settings in force. */
  'sd/settings.update': { params: SettingsUpdateParams; result: DaemonSettings };
  /** Parse an A1111 infotext into img2img params. */
  'sd/infotext.parse': { params: InfotextParseParams; result: InfotextParseResult };
  /** The sampler and schedule catalog. */
  'sd/samplers.list': { params: Record<string, never>; result: SamplersListResult };
  /** What a model is (family, default size) and the checkpoints a refiner can be chosen from; quick, no loading. */
  'models/info': { params: ModelsInfoParams; result: ModelsInfoResult };
  /** Hash model files (A1111 AutoV2, legacy, LoRA/TI); quick, outside the job queue, cancellable. */
  'models/hash': { params: ModelsHashParams; result: ModelsHashResult };
  /** What SD Studio's cache holds (builds, variants, derived graphs), most recently used first. */
  'cache/list': { params: Record<string, never>; result: CacheListResult };
  /** Empty SD Studio's cache, except what the loaded model uses. */
  'cache/clear': { params: Record<string, never>; result: CacheClearResult };
  /** Checkpoint merger as a job (progress per tensor, cancel); resolves when the output is in place. */
  'models/merge': { params: ModelsMergeParams; result: ModelsMergeResult };
  /** Convert a torch checkpoint to .safetensors as a job, never executing its pickle. */
  'models/convert': { params: ModelsConvertParams; result: ModelsConvertResult };
  /** Read generation info (and send-to img2img params) from image files. */
  'sd/pngInfo.read': { params: PngInfoReadParams; result: PngInfoReadResult };
  /** Write an infotext into a copy of an image. */
  'sd/pngInfo.write': { params: PngInfoWriteParams; result: PngInfoWriteResult };
  /** Inspect a prompt as A1111 reads it (schedules, AND, tokens, LoRA tags, diagnostics); quick, no job. */
  'sd/prompt.inspect': { params: PromptInspectParams; result: PromptInspectResult };
  /** Extras: upscale / restore faces / batch as a job (progress per tile, cancel); per-file results. */
  'sd/extras': { params: ExtrasParams; result: ExtrasResult };
  /** Upscalers available: None, Lanczos, Nearest, the built-in model, the user's ESRGAN/RealESRGAN/SwinIR/DAT files. */
  'sd/upscalers.list': { params: Record<string, never>; result: UpscalersListResult };
  /** An image's settings as a `.sdprompt` spec ("Regenerate from image…"). */
  'sd/sdprompt.fromImage': { params: SdPromptFromImageParams; result: SdPromptFromImageResult };
  /** Run a `.sdprompt` file's specs (all, or `only` some) as one job, past failing specs, with a report per spec. */
  'sd/sdprompt.run': { params: SdPromptRunParams; result: SdPromptRunResult };
  /** Build a diffusers ONNX folder from a checkpoint, or model.onnx + model.json from a network file, as a job (graphs built in TypeScript). */
  'models/convertOnnx': { params: ModelsConvertOnnxParams; result: ModelsConvertOnnxResult };
  /** Outpaint (resize-and-fill, Outpainting mk2, Poor man's outpainting) as one img2img job with a mask. */
  'sd/outpaint': { params: OutpaintParams; result: GenerationResult };
  /** Batch img2img over a folder as one job; keeps going past bad files and reports each. */
  'sd/batch': { params: BatchParams; result: BatchResult };
  /** The styles of A1111's styles.csv. */
  'sd/styles.list': { params: Record<string, never>; result: StylesListResult };
  /** Add (or replace) a style in styles.csv; returns the styles after the change. */
  'sd/styles.save': { params: StylesSaveParams; result: StylesListResult };
  /** The prompts with styles applied (A1111's "Apply styles"); an unknown style name is an error. */
  'sd/styles.apply': { params: StylesApplyParams; result: { prompt: string; negative_prompt: string } };
  /** Remove a style from styles.csv; returns the styles after the change. */
  'sd/styles.delete': { params: StylesDeleteParams; result: StylesListResult };
  /** X/Y/Z plot as one job: every cell generated and saved, then the labelled grid(s). */
  'sd/xyz': { params: XyzParams; result: GenerationResult };
  /** The X/Y/Z axis types with the values each offers. */
  'sd/xyz.axes': { params: { tab?: 'txt2img' | 'img2img' }; result: { axes: XyzAxisInfo[] } };
  /** Prompt matrix as one job: one image per combination of `|` parts, then the labelled grid. */
  'sd/promptMatrix': { params: PromptMatrixParams; result: GenerationResult };
  /** Prompts from file or textbox as one job: one generation per line. */
  'sd/promptsFromFile': { params: PromptsFromFileParams; result: GenerationResult };
  /** Start (or restart with new options) A1111's HTTP API on this daemon. */
  'sd/api.start': { params: ApiStartParams; result: ApiStatus };
  /** Stop the HTTP API. */
  'sd/api.stop': { params: Record<string, never>; result: ApiStatus };
  /** The configured backends: reachable or not, busy, their models (refreshed by the request). */
  'sd/backends.list': { params: Record<string, never>; result: { backends: BackendStatus[] } };
  /** Interrogate CLIP (BLIP caption + CLIP ranking), DeepBooru or WD14 tags for images or a folder, as a job. */
  'sd/interrogate': { params: InterrogateParams; result: InterrogateResult };
  /** Average a folder's CLIP image features into aesthetic_embeddings/NAME.pt, as a job. */
  'sd/aesthetic.create': { params: AestheticCreateParams; result: AestheticCreateResult };
  /** The aesthetic embeddings under the models root. */
  'sd/aesthetic.list': { params: Record<string, never>; result: AestheticListResult };
  /** Which ONNX Runtime and providers this daemon has, and whether GPU support can be or is installed. */
  'sd/gpu.status': { params: Record<string, never>; result: GpuStatusResult };
  /** Download and install the CUDA provider libraries (job: progress, cancel; an interrupted install resumes). */
  'sd/gpu.install': { params: GpuInstallParams; result: GpuInstallResult };
  /** Delete installed GPU runtimes and unfinished downloads from the user data folder. */
  'sd/gpu.remove': { params: Record<string, never>; result: GpuRemoveResult };
  // <requests>
}

export interface NotificationTypes {
  'sd/job.state': JobStateNotification;
  'sd/job.progress': JobProgressNotification;
  'sd/job.preview': JobPreviewNotification;
  // <notifications>
}

export type RequestMethod = keyof RequestTypes;
export type NotificationMethod = keyof NotificationTypes;
export type ParamsOf<M extends RequestMethod> = RequestTypes[M]['params'];
export type ResultOf<M extends RequestMethod> = RequestTypes[M]['result'];
