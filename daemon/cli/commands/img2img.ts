import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DaemonSettings, Img2ImgParams, ResizeMode } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec, type FlagValues } from '../args';
import { DaemonClient, errorMessage, exitCodeFor } from '../client';
import type { CliCommand } from '../command';
import { printImagesOutcome, runJobWithProgress } from '../runJob';
import { readBackends } from '../../settings';
import { aestheticFlags, aestheticFromFlags } from '../aestheticFlags';
import { speedFlags, speedParamsFromFlags, speedSettingsFromFlags } from '../speedFlags';

const flags: Record<string, FlagSpec> = {
  prompt: { kind: 'string', short: 'p', help: 'prompt' },
  'negative-prompt': { kind: 'string', short: 'n', help: 'negative prompt' },
  'init-image': { kind: 'strings', short: 'i', help: 'source image (repeat for several); none = txt2img' },
  mask: { kind: 'string', help: 'inpaint: mask image, white = inpaint (any size; a transparent PNG is read from its alpha)' },
  'mask-from-alpha': { kind: 'boolean', help: 'inpaint: the init image\'s transparent pixels are the mask' },
  'mask-blur': { kind: 'number', help: 'inpaint: mask blur 0..64 (default 4); --mask-blur-x/-y set one direction' },
  'mask-blur-x': { kind: 'number', help: 'inpaint: horizontal mask blur' },
  'mask-blur-y': { kind: 'number', help: 'inpaint: vertical mask blur' },
  'mask-alpha': { kind: 'number', help: 'inpaint: mask transparency 0..100' },
  'inpainting-mask-invert': { kind: 'boolean', help: 'inpaint: inpaint the black (not masked) area' },
  'inpainting-fill': { kind: 'string', help: 'masked content: 0 fill | 1 original (default) | 2 latent-noise | 3 latent-nothing' },
  'inpaint-full-res': { kind: 'boolean', help: 'inpaint area "Only masked" (default: whole picture)' },
  'inpaint-full-res-padding': { kind: 'int', help: 'only masked padding, pixels (default 32)' },
  'inpainting-mask-weight': { kind: 'number', help: 'inpainting models: conditioning mask strength 0..1 (default 1)' },
  'initial-noise-multiplier': { kind: 'number', help: 'img2img noise multiplier (default 1)' },
  'soft-inpainting': { kind: 'boolean', help: 'inpaint: A1111 soft inpainting with its default settings' },
  'colour-match': { kind: 'string', help: 'inpaint: match colours in the blend band, on (default) | off' },
  'latent-mask': { kind: 'string', help: 'inpaint: latent mask by bicubic (A1111, default) | max (8×8 blocks; thin masks survive)' },
  'denoising-strength': { kind: 'number', short: 'd', help: '0..1 (default 0.75)' },
  'cfg-scale': { kind: 'number', help: 'CFG scale (default 7)' },
  sampler: { kind: 'string', help: 'sampler display name, e.g. "Euler a", "DPM++ 2M Karras" (default DPM++ 2M)' },
  scheduler: { kind: 'string', help: 'schedule type: Automatic, Karras, ... (default Automatic)' },
  steps: { kind: 'int', help: 'sampling steps (default 20)' },
  seed: { kind: 'seed', short: 's', help: 'seed, 0 … 2^64 − 1 as torch takes it; -1 = random (default)' },
  subseed: { kind: 'seed', help: 'variation seed' },
  'subseed-strength': { kind: 'number', help: 'variation strength 0..1' },
  'seed-resize-from-w': { kind: 'int', help: 'resize seed from width' },
  'seed-resize-from-h': { kind: 'int', help: 'resize seed from height' },
  width: { kind: 'int', short: 'W', help: 'width (default 512; 1024 for SDXL models)' },
  height: { kind: 'int', short: 'H', help: 'height (default 512; 1024 for SDXL models)' },
  'resize-mode': { kind: 'string', help: '0 just-resize | 1 crop-and-resize | 2 resize-and-fill | 3 latent-upscale' },
  'n-iter': { kind: 'int', help: 'batch count (default 1)' },
  'batch-size': { kind: 'int', help: 'batch size (default 1)' },
  model: { kind: 'string', short: 'm', help: 'model: diffusers ONNX folder (default: $SD_STUDIO_MODEL)' },
  outdir: { kind: 'string', short: 'o', help: 'output root (default ./outputs)' },
  infotext: { kind: 'string', help: 'take every setting from an A1111 infotext ("@FILE" reads a file); flags given too win' },
  'infotext-from': { kind: 'string', help: 'take every setting from an image\'s own PNG info (A1111, ComfyUI, InvokeAI, NovelAI, ...); flags given too win' },
  'enable-hr': { kind: 'boolean', help: 'txt2img hires fix: upscale the first pass and run a second img2img pass (--denoising-strength)' },
  'hr-scale': { kind: 'number', help: 'hires: upscale by (default 2)' },
  'hr-upscaler': { kind: 'string', help: 'hires: "Latent" (default), "Latent (antialiased)", "Latent (bicubic)", "Latent (bicubic antialiased)", "Latent (nearest)", "Latent (nearest-exact)" or an upscaler name (sd-studio extras --list-upscalers)' },
  'hr-steps': { kind: 'int', help: 'hires: second-pass steps (default 0 = same as --steps)' },
  'hr-resize-x': { kind: 'int', help: 'hires: resize width to (instead of --hr-scale)' },
  'hr-resize-y': { kind: 'int', help: 'hires: resize height to (instead of --hr-scale)' },
  'hr-sampler': { kind: 'string', help: 'hires: sampler of the second pass (default: the same)' },
  'hr-scheduler': { kind: 'string', help: 'hires: schedule type of the second pass (default: the same)' },
  'hr-prompt': { kind: 'string', help: 'hires: prompt of the second pass (default: the same)' },
  'hr-negative-prompt': { kind: 'string', help: 'hires: negative prompt of the second pass (default: the same)' },
  'hr-cfg': { kind: 'number', help: 'hires: CFG scale of the second pass (default: the same)' },
  'hr-checkpoint': { kind: 'string', help: 'hires: checkpoint of the second pass (file, folder or name; default: the same)' },
  style: { kind: 'strings', help: 'A1111 style from styles.csv (repeat for several, applied in order)' },
  'color-correction': { kind: 'boolean', help: 'img2img: match the result\'s colours to the init image (A1111 img2img_color_correction)' },
  format: { kind: 'string', help: 'file format: png (default), jpg, webp (infotext in EXIF UserComment for jpg/webp)' },
  quality: { kind: 'int', help: 'jpg / lossy webp quality 1..100 (default 80)' },
  'webp-lossless': { kind: 'boolean', help: 'lossless webp' },
  'save-txt': { kind: 'boolean', help: 'write the infotext to a .txt beside each image' },
  'no-grid': { kind: 'boolean', help: 'no grid image for a job of two or more images' },
  'filename-pattern': { kind: 'string', help: 'A1111 images filename pattern, e.g. "[seed]-[prompt_words]" (default [seed])' },
  'fix-steps': { kind: 'boolean', help: 'img2img: do exactly the number of steps given' },
  rng: { kind: 'string', help: 'random source: GPU (default, A1111\'s), CPU, NV' },
  ensd: { kind: 'int', help: 'eta noise seed delta' },
  'clip-skip': { kind: 'int', help: 'CLIP skip: stop at the last N layers of the text encoder (default 1 = off)' },
  'restore-faces': { kind: 'boolean', help: 'A1111 "Restore faces": restore faces in each result (infotext "Face restoration")' },
  'face-restorer': { kind: 'string', help: 'with --restore-faces: CodeFormer or GFPGAN (default: the defaultFaceRestorer setting)' },
  'codeformer-weight': { kind: 'number', help: 'with --restore-faces: CodeFormer weight 0..1, 0 = strongest (default 0.5)' },
  refiner: { kind: 'string', help: 'SDXL refiner checkpoint: a path, or a name / "name [hash]" under <models root>/Stable-diffusion ("None" = off)' },
  'refiner-switch-at': { kind: 'number', help: 'when the refiner takes over, 0..1 of the sampling (default 0.8)' },
  'sdxl-crop-top': { kind: 'int', help: 'SDXL size conditioning: crop top coordinate (default 0)' },
  'sdxl-crop-left': { kind: 'int', help: 'SDXL size conditioning: crop left coordinate (default 0)' },
  'pad-cond-uncond': { kind: 'boolean', help: 'pad prompt and negative prompt to the same length instead of separate UNet calls (A1111 option; infotext "Pad conds")' },
  backend: { kind: 'string', help: 'run on this backend only (a name from --backends); default: the least busy one with the model' },
  backends: { kind: 'string', help: 'JSON file listing backends [{"name", "kind": "local|a1111|comfyui", "url", "auth"}] (default $SD_STUDIO_BACKENDS)' },
  vae: { kind: 'string', help: 'VAE for a checkpoint file: a VAE file, a name in <models root>/VAE, None (its own) or Automatic (default: SD_STUDIO_VAE, else Automatic)' },
  ...speedFlags,
  provider: { kind: 'string', help: 'execution provider: auto (default: the GPU one this install has, else cpu), cpu, cuda, dml, coreml, webgpu' },
  threads: { kind: 'int', help: 'intra-op threads (default: physical cores)' },
  json: { kind: 'boolean', help: 'print the result as JSON' },
  ...aestheticFlags,
};

const RESIZE_NAMES: Record<string, ResizeMode> = { 'just-resize': 0, 'crop-and-resize': 1, 'resize-and-fill': 2, 'latent-upscale': 3 };

function resizeMode(v: string): ResizeMode {
  if (/^[0-3]$/.test(v)) return Number(v) as ResizeMode;
  const m = RESIZE_NAMES[v.toLowerCase()];
  if (m === undefined) throw new UsageError(`--resize-mode: expected 0-3 or ${Object.keys(RESIZE_NAMES).join(', ')}, got "${v}"`);
  return m;
}

const FILL_NAMES: Record<string, 0 | 1 | 2 | 3> = { fill: 0, original: 1, 'latent-noise': 2, 'latent-nothing': 3 };

function maskedContent(v: string): 0 | 1 | 2 | 3 {
  if (/^[0-3]$/.test(v)) return Number(v) as 0 | 1 | 2 | 3;
  const m = FILL_NAMES[v.toLowerCase().replace(/ /g, '-')];
  if (m === undefined) throw new UsageError(`--inpainting-fill: expected 0-3 or ${Object.keys(FILL_NAMES).join(', ')}, got "${v}"`);
  return m;
}

/** Flags → A1111 field names (explicit flags override the infotext's values). */
export function paramsFromFlags(f: FlagValues, base: Img2ImgParams = {}): Img2ImgParams {
  const p: Img2ImgParams = { ...base };
  const put = <K extends keyof Img2ImgParams>(key: K, v: unknown): void => {
    if (v !== undefined) p[key] = v as Img2ImgParams[K];
  };
  put('prompt', f.prompt);
  put('negative_prompt', f['negative-prompt']);
  put('init_images', f['init-image']);
  put('mask', f.mask);
  put('mask_from_alpha', f['mask-from-alpha']);
  put('mask_blur', f['mask-blur']);
  put('mask_blur_x', f['mask-blur-x']);
  put('mask_blur_y', f['mask-blur-y']);
  put('mask_alpha', f['mask-alpha']);
  if (f['inpainting-mask-invert'] !== undefined) p.inpainting_mask_invert = f['inpainting-mask-invert'] ? 1 : 0;
  if (typeof f['inpainting-fill'] === 'string') p.inpainting_fill = maskedContent(f['inpainting-fill']);
  put('inpaint_full_res', f['inpaint-full-res']);
  put('inpaint_full_res_padding', f['inpaint-full-res-padding']);
  put('initial_noise_multiplier', f['initial-noise-multiplier']);
  put('restore_faces', f['restore-faces']);
  if (f['soft-inpainting']) p.soft_inpainting = { enabled: true };
  if (typeof f['colour-match'] === 'string') {
    if (!['on', 'off'].includes(f['colour-match'])) throw new UsageError(`--colour-match: expected on or off, got "${f['colour-match']}"`);
    p.inpaint_colour_match = f['colour-match'] === 'on';
  }
  put('inpaint_latent_mask', f['latent-mask']);
  put('denoising_strength', f['denoising-strength']);
  put('cfg_scale', f['cfg-scale']);
  put('sampler_name', f.sampler);
  put('scheduler', f.scheduler);
  put('steps', f.steps);
  put('seed', f.seed);
  put('subseed', f.subseed);
  put('subseed_strength', f['subseed-strength']);
  put('seed_resize_from_w', f['seed-resize-from-w']);
  put('seed_resize_from_h', f['seed-resize-from-h']);
  put('width', f.width);
  put('height', f.height);
  if (typeof f['resize-mode'] === 'string') p.resize_mode = resizeMode(f['resize-mode']);
  put('n_iter', f['n-iter']);
  put('batch_size', f['batch-size']);
  put('model', f.model);
  put('outdir', f.outdir);
  put('enable_hr', f['enable-hr']);
  put('hr_scale', f['hr-scale']);
  put('hr_upscaler', f['hr-upscaler']);
  put('hr_second_pass_steps', f['hr-steps']);
  put('hr_resize_x', f['hr-resize-x']);
  put('hr_resize_y', f['hr-resize-y']);
  put('hr_sampler_name', f['hr-sampler']);
  put('hr_scheduler', f['hr-scheduler']);
  put('hr_prompt', f['hr-prompt']);
  put('hr_negative_prompt', f['hr-negative-prompt']);
  put('hr_cfg', f['hr-cfg']);
  put('hr_checkpoint_name', f['hr-checkpoint']);
  // Any hires setting given on its own turns the fix on, as filling A1111's hires section does.
  if (p.enable_hr === undefined && ['hr-scale', 'hr-upscaler', 'hr-steps', 'hr-resize-x', 'hr-resize-y'].some((k) => f[k] !== undefined)) p.enable_hr = true;
  put('refiner_checkpoint', f.refiner);
  put('refiner_switch_at', f['refiner-switch-at']);
  put('backend', f.backend);
  const o = { ...(p.override_settings ?? {}) };
  if (typeof f['sdxl-crop-top'] === 'number') o.sdxl_crop_top = f['sdxl-crop-top'];
  if (typeof f['sdxl-crop-left'] === 'number') o.sdxl_crop_left = f['sdxl-crop-left'];
  if (f['fix-steps'] !== undefined) o.img2img_fix_steps = f['fix-steps'] as boolean;
  if (typeof f.rng === 'string') {
    const rng = f.rng.toUpperCase();
    if (rng !== 'GPU' && rng !== 'CPU' && rng !== 'NV') throw new UsageError(`--rng: expected GPU, CPU or NV, got "${f.rng}"`);
    o.randn_source = rng;
  }
  if (typeof f.ensd === 'number') o.eta_noise_seed_delta = f.ensd;
  if (f['inpainting-mask-weight'] !== undefined) o.inpainting_mask_weight = f['inpainting-mask-weight'] as number;
  if (typeof f['clip-skip'] === 'number') o.CLIP_stop_at_last_layers = f['clip-skip'];
  if (f['pad-cond-uncond'] === true) o.pad_cond_uncond = true;
  if (typeof f['face-restorer'] === 'string') {
    const name = { codeformer: 'CodeFormer', gfpgan: 'GFPGAN' }[f['face-restorer'].toLowerCase()];
    if (!name) throw new UsageError(`--face-restorer: expected CodeFormer or GFPGAN, got "${f['face-restorer']}"`);
    o.face_restoration_model = name as 'CodeFormer' | 'GFPGAN';
  }
  if (typeof f['codeformer-weight'] === 'number') o.code_former_weight = f['codeformer-weight'];
  if (typeof f.format === 'string') o.samples_format = f.format.toLowerCase() as 'png';
  if (typeof f.quality === 'number') o.jpeg_quality = f.quality;
  if (f['webp-lossless'] !== undefined) o.webp_lossless = f['webp-lossless'] as boolean;
  if (f['save-txt'] !== undefined) o.save_txt = f['save-txt'] as boolean;
  if (f['color-correction'] !== undefined) o.img2img_color_correction = f['color-correction'] as boolean;
  if (typeof f['filename-pattern'] === 'string') o.samples_filename_pattern = f['filename-pattern'];
  put('styles', f.style);
  if (f['no-grid']) p.do_not_save_grid = true;
  speedParamsFromFlags(f, p, o);
  if (Object.keys(o).length) p.override_settings = o;
  const aesthetic = aestheticFromFlags(f);
  if (aesthetic) p.aesthetic = { ...p.aesthetic, ...aesthetic };
  return p;
}

export function daemonSettingsFromFlags(f: FlagValues): Partial<DaemonSettings> {
  const s: Partial<DaemonSettings> = {};
  if (typeof f.provider === 'string') {
    if (!['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'].includes(f.provider)) throw new UsageError(`--provider: expected auto, cpu, cuda, dml, coreml or webgpu, got "${f.provider}"`);
    s.executionProvider = f.provider as DaemonSettings['executionProvider'];
  }
  if (typeof f.threads === 'number') s.threads = f.threads;
  if (typeof f.backends === 'string') {
    try {
      s.backends = readBackends(f.backends);
    } catch (e) {
      throw new UsageError(`--backends ${(e as Error).message}`);
    }
  }
  // A path (anything with a folder part or an existing file) goes as an absolute path; names stay names.
  if (typeof f.vae === 'string') s.sdVae = /[/\\]/.test(f.vae) || existsSync(f.vae) ? resolve(f.vae) : f.vae;
  return { ...s, ...speedSettingsFromFlags(f) };
}

/** Where the base settings come from: an infotext, or an image whose PNG info the daemon reads. */
export type SettingsSource = { infotext: string } | { image: string } | undefined;

const mergeParams = (base: Img2ImgParams, flags: Img2ImgParams): Img2ImgParams => ({
  ...base, ...flags, override_settings: { ...base.override_settings, ...flags.override_settings },
  ...(base.aesthetic || flags.aesthetic ? { aesthetic: { ...base.aesthetic, ...flags.aesthetic } as NonNullable<Img2ImgParams['aesthetic']> } : {}),
});

/** Run one img2img job and print the outputs; shared by `img2img` and `demo`. */
export async function runImg2ImgCli(params: Img2ImgParams, settings: Partial<DaemonSettings>, json: boolean, source?: SettingsSource): Promise<number> {
  const client = await DaemonClient.start(settings);
  try {
    let p = params;
    if (source && 'infotext' in source) {
      const parsed = await client.request('sd/infotext.parse', { text: source.infotext });
      if (parsed.warning) process.stderr.write(`sd-studio: warning: ${parsed.warning}\n`);
      p = mergeParams(parsed.params, params);
    } else if (source && 'image' in source) {
      const read = await client.request('sd/pngInfo.read', { files: [source.image] });
      const fromImage = read.img2img[0];
      if (!fromImage) {
        const info = read.infos[0];
        process.stderr.write(`sd-studio: ${source.image}: no generation settings found${info?.problems.length ? ` (${info.problems.join('; ')})` : ''}\n`);
        return 1;
      }
      if (read.warnings[0]) process.stderr.write(`sd-studio: warning: ${read.warnings[0]}\n`);
      p = mergeParams(fromImage, params);
    }
    return printImagesOutcome(await runJobWithProgress(client, 'sd/img2img', p, p.init_images?.length ? 'img2img' : 'txt2img'), json);
  } catch (e) {
    process.stderr.write(`sd-studio: ${errorMessage(e)}\n`);
    return exitCodeFor(e);
  } finally {
    await client.stop();
  }
}

export const img2imgCommand: CliCommand = {
  name: 'img2img',
  summary: 'img2img (txt2img without --init-image), every A1111 parameter as a flag or from --infotext',
  usage: () => usageText('img2img', '[options]', flags),
  async run(argv) {
    const { flags: f } = parseFlags(argv, flags, { numbersCheckedByDaemon: true });
    if (typeof f.infotext === 'string' && typeof f['infotext-from'] === 'string') throw new UsageError('give --infotext or --infotext-from, not both');
    let source: SettingsSource;
    if (typeof f.infotext === 'string') source = { infotext: f.infotext.startsWith('@') ? readFileSync(f.infotext.slice(1), 'utf8') : f.infotext };
    else if (typeof f['infotext-from'] === 'string') source = { image: f['infotext-from'] };
    return runImg2ImgCli(paramsFromFlags(f), daemonSettingsFromFlags(f), f.json === true, source);
  },
};

/** `txt2img`: the same command without init images (A1111's txt2img tab), hires fix flags included. */
export const txt2imgCommand: CliCommand = {
  name: 'txt2img',
  summary: 'txt2img with every A1111 parameter as a flag (hires fix: --enable-hr, --hr-scale, --hr-upscaler, ...)',
  usage: () => usageText('txt2img', '[options]', flags),
  async run(argv) {
    if (argv.some((a) => a === '-i' || a.startsWith('--init-image') || a.startsWith('--mask'))) throw new UsageError('txt2img takes no init image or mask: use sd-studio img2img');
    return img2imgCommand.run(argv);
  },
};

/** The img2img flag table, shared by `outpaint` and `batch`. */
export { flags as img2imgFlags };
