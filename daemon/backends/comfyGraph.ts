// A job as a ComfyUI API-format prompt built from standard ComfyUI nodes only (CheckpointLoaderSimple,
// CLIPSetLastLayer, CLIPTextEncode, EmptyLatentImage, LoadImage, ImageScale, VAEEncode, ImageToMask,
// SetLatentNoiseMask, VAEEncodeForInpaint, TomePatchModel, KSampler, VAEDecode, PreviewImage, ImageScaleBy,
// UpscaleModelLoader, ImageUpscaleWithModel): txt2img, img2img, inpaint, upscale. Pure: names in, JSON out.
import { invalidParam } from '../errors';
import { samplerInfo } from '../sampling';

/** A1111 sampler display name → ComfyUI `sampler_name` (k-diffusion's function names). */
const SAMPLERS: Record<string, string> = {
  Euler: 'euler', 'Euler a': 'euler_ancestral', Heun: 'heun', DPM2: 'dpm_2', 'DPM2 a': 'dpm_2_ancestral', LMS: 'lms',
  'DPM fast': 'dpm_fast', 'DPM adaptive': 'dpm_adaptive', 'DPM++ 2S a': 'dpmpp_2s_ancestral', 'DPM++ SDE': 'dpmpp_sde',
  'DPM++ 2M': 'dpmpp_2m', 'DPM++ 2M SDE': 'dpmpp_2m_sde', 'DPM++ 2M SDE Heun': 'dpmpp_2m_sde', 'DPM++ 3M SDE': 'dpmpp_3m_sde',
  DDIM: 'ddim', UniPC: 'uni_pc', LCM: 'lcm',
};

/** A1111 schedule type → ComfyUI `scheduler`. */
const SCHEDULERS: Record<string, string> = {
  Uniform: 'normal', Karras: 'karras', Exponential: 'exponential', 'SGM Uniform': 'sgm_uniform', Simple: 'simple', Normal: 'normal',
  DDIM: 'ddim_uniform', Beta: 'beta', 'KL Optimal': 'kl_optimal',
};

/** The ComfyUI sampler and scheduler for an A1111 pair ("Automatic" = the sampler's own default, as A1111). */
export function comfySampler(sampler: string, scheduler: string): { sampler_name: string; scheduler: string } {
  const name = SAMPLERS[sampler];
  if (!name) throw invalidParam('sampler_name', `"${sampler}" has no ComfyUI equivalent`, Object.keys(SAMPLERS).join(', '));
  const label = scheduler === 'Automatic' ? samplerInfo(sampler).defaultScheduler : scheduler;
  const sched = label === 'Automatic' ? 'normal' : SCHEDULERS[label];
  if (!sched) throw invalidParam('scheduler', `"${scheduler}" has no ComfyUI equivalent`, Object.keys(SCHEDULERS).join(', '));
  return { sampler_name: name, scheduler: sched };
}

type Link = [string, number];
export type ComfyPrompt = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

export interface GenerationGraph {
  checkpoint: string;
  prompt: string;
  negativePrompt: string;
  seed: number;
  /** A1111 steps; with `denoise` < 1 the graph runs A1111's int(steps·denoise) (or all, with fixSteps). */
  steps: number;
  cfg: number;
  sampler: string;
  scheduler: string;
  width: number;
  height: number;
  clipSkip: number;
  /** A1111's token merging ratio: ComfyUI's TomePatchModel (tomesd) on the model when > 0. */
  tokenMergingRatio?: number;
  /** img2img: the uploaded init image's name, its resize (0 just resize, 1 crop and resize) and strength. */
  init?: { image: string; resizeMode: 0 | 1; denoise: number; fixSteps: boolean };
  /** inpaint: the uploaded mask (white = inpaint, already blurred/inverted) and A1111's masked content. */
  mask?: { image: string; fill: 0 | 1 | 2 | 3 };
}

/** The node whose output holds the finished image. */
export const OUTPUT_NODE = '9';

export function generationPrompt(g: GenerationGraph): ComfyPrompt {
  const n: ComfyPrompt = {
    '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: g.checkpoint } },
    '2': { class_type: 'CLIPSetLastLayer', inputs: { clip: ['1', 1], stop_at_clip_layer: -Math.max(1, g.clipSkip) } },
    '3': { class_type: 'CLIPTextEncode', inputs: { text: g.prompt, clip: ['2', 0] } },
    '4': { class_type: 'CLIPTextEncode', inputs: { text: g.negativePrompt, clip: ['2', 0] } },
  };
  let latent: Link;
  let steps = g.steps;
  let denoise = 1;
  if (!g.init) {
    n['5'] = { class_type: 'EmptyLatentImage', inputs: { width: g.width, height: g.height, batch_size: 1 } };
    latent = ['5', 0];
  } else {
    n['10'] = { class_type: 'LoadImage', inputs: { image: g.init.image } };
    n['11'] = { class_type: 'ImageScale', inputs: { image: ['10', 0], upscale_method: 'lanczos', width: g.width, height: g.height, crop: g.init.resizeMode === 1 ? 'center' : 'disabled' } };
    denoise = g.init.denoise;
    // KSampler runs `steps` of a int(steps/denoise) schedule; A1111 runs int(steps·denoise) of `steps`.
    if (!g.init.fixSteps && denoise < 1) steps = Math.max(1, Math.floor(g.steps * denoise));
    if (g.mask) {
      n['12'] = { class_type: 'LoadImage', inputs: { image: g.mask.image } };
      n['13'] = { class_type: 'ImageScale', inputs: { image: ['12', 0], upscale_method: 'bilinear', width: g.width, height: g.height, crop: g.init.resizeMode === 1 ? 'center' : 'disabled' } };
      n['14'] = { class_type: 'ImageToMask', inputs: { image: ['13', 0], channel: 'red' } };
      if (g.mask.fill === 1) {
        n['5'] = { class_type: 'VAEEncode', inputs: { pixels: ['11', 0], vae: ['1', 2] } };
        n['15'] = { class_type: 'SetLatentNoiseMask', inputs: { samples: ['5', 0], mask: ['14', 0] } };
        latent = ['15', 0];
      } else {
        n['5'] = { class_type: 'VAEEncodeForInpaint', inputs: { pixels: ['11', 0], vae: ['1', 2], mask: ['14', 0], grow_mask_by: 0 } };
        latent = ['5', 0];
      }
    } else {
      n['5'] = { class_type: 'VAEEncode', inputs: { pixels: ['11', 0], vae: ['1', 2] } };
      latent = ['5', 0];
    }
  }
  let model: Link = ['1', 0];
  if (g.tokenMergingRatio) {
    n['16'] = { class_type: 'TomePatchModel', inputs: { model, ratio: g.tokenMergingRatio } };
    model = ['16', 0];
  }
  n['6'] = {
    class_type: 'KSampler',
    inputs: { model, seed: g.seed, steps, cfg: g.cfg, ...comfySampler(g.sampler, g.scheduler), positive: ['3', 0], negative: ['4', 0], latent_image: latent, denoise },
  };
  n['7'] = { class_type: 'VAEDecode', inputs: { samples: ['6', 0], vae: ['1', 2] } };
  n[OUTPUT_NODE] = { class_type: 'PreviewImage', inputs: { images: ['7', 0] } };
  return n;
}

/** One pass of an upscale model (ComfyUI's upscale_models) over an uploaded image, at the model's own scale. */
export function upscalePrompt(image: string, model: string): ComfyPrompt {
  return {
    '1': { class_type: 'LoadImage', inputs: { image } },
    '2': { class_type: 'UpscaleModelLoader', inputs: { model_name: model } },
    '3': { class_type: 'ImageUpscaleWithModel', inputs: { upscale_model: ['2', 0], image: ['1', 0] } },
    [OUTPUT_NODE]: { class_type: 'PreviewImage', inputs: { images: ['3', 0] } },
  };
}
