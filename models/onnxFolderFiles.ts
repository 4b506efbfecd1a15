// The small files of a diffusers ONNX folder besides the graphs: scheduler config, model_index.json, the VAE's
// config.json (its latent scaling factor) and the CLIP tokenizer(s): SDXL has tokenizer/ (CLIP-L, padded with
// the end token) and tokenizer_2/ (CLIP-G, padded with "!" = id 0, as open_clip pads), the refiner only the
// second. The tokenizer is copied from a folder the user names, env SD_STUDIO_TOKENIZER, the Hugging Face cache
// A1111 installs fill (openai/clip-vit-large-patch14, whose BPE SD 2.x and SDXL share), or else the one SD
// Studio ships (models/bundledTokenizer.ts).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Prediction } from './arch/archConfig';
import { writeFileAtomicSync } from './formats/atomicFile';
import { hfSnapshots } from './registry';
import { isSdxlFamily, type SdFamily } from './detect';
import { bundledTokenizerDir } from './bundledTokenizer';
import { defaultCacheDir } from './hash';

const hasTokenizer = (dir: string): boolean => existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'));

/** The first place holding vocab.json + merges.txt; the bundled tokenizer when no other is found. */
export function findTokenizerDir(given?: string, env: NodeJS.ProcessEnv = process.env): string {
  const candidates: string[] = [];
  if (given) candidates.push(given);
  if (env.SD_STUDIO_TOKENIZER) candidates.push(env.SD_STUDIO_TOKENIZER);
  candidates.push(...hfSnapshots('openai/clip-vit-large-patch14', env));
  return candidates.find(hasTokenizer) ?? bundledTokenizerDir(defaultCacheDir(env));
}

/** Copies the tokenizer(s); SD 2.x and SDXL's second tokenizer pad with "!" (id 0, open_clip), CLIP-L with the end token. */
export function writeTokenizer(from: string, dir: string, family: SdFamily): void {
  const folders: Array<[string, string]> = family === 'sdxl' ? [['tokenizer', '<|endoftext|>'], ['tokenizer_2', '!']]
    : family === 'sdxl-refiner' ? [['tokenizer_2', '!']]
    : [['tokenizer', family === 'sd2' ? '!' : '<|endoftext|>']];
  for (const [name, pad] of folders) {
    const out = join(dir, name);
    mkdirSync(out, { recursive: true });
    // Written atomically: a cached model folder may be completed while another process reads it.
    for (const f of ['vocab.json', 'merges.txt']) writeFileAtomicSync(join(out, f), readFileSync(join(from, f)));
    const special = { bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', pad_token: pad };
    writeFileAtomicSync(join(out, 'special_tokens_map.json'), JSON.stringify(special, null, 2));
    writeFileAtomicSync(join(out, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'CLIPTokenizer', model_max_length: 77, do_lower_case: true, ...special }, null, 2));
  }
}

/** The latent scaling factor of a family's VAE (ldm/sgm `scale_factor`): SDXL 0.13025, SD 1.x/2.x 0.18215. */
export const latentScaleFor = (family: SdFamily): number => (isSdxlFamily(family) ? 0.13025 : 0.18215);

/** `vae_encoder/config.json` and `vae_decoder/config.json` as Optimum writes them: where the scaling factor is read. */
export function writeVaeConfigs(dir: string, family: SdFamily): void {
  for (const part of ['vae_encoder', 'vae_decoder']) {
    mkdirSync(join(dir, part), { recursive: true });
    const config = { _class_name: 'AutoencoderKL', latent_channels: 4, scaling_factor: latentScaleFor(family), force_upcast: isSdxlFamily(family) };
    writeFileAtomicSync(join(dir, part, 'config.json'), JSON.stringify(config, null, 2));
  }
}

/**
 * The training schedule (every SD family, SDXL too): scaled_linear 0.00085 → 0.012 over 1000 steps. SDXL folders
 * name Optimum's SDXL pipeline and its text_encoder_2 / tokenizer_2, with diffusers' defaults for the empty
 * negative prompt (base: zeros) and the aesthetic score (refiner).
 */
export function writeSchedulerAndIndex(dir: string, prediction: Prediction, hasTokenizerDir: boolean, family: SdFamily = 'sd1'): void {
  mkdirSync(join(dir, 'scheduler'), { recursive: true });
  const xl = isSdxlFamily(family);
  const scheduler = {
    _class_name: xl ? 'EulerDiscreteScheduler' : 'PNDMScheduler',
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    num_train_timesteps: 1000,
    prediction_type: prediction,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    clip_sample: false,
  };
  writeFileAtomicSync(join(dir, 'scheduler', 'scheduler_config.json'), JSON.stringify(scheduler, null, 2));
  const onnxPart = ['diffusers', 'OnnxRuntimeModel'];
  const index: Record<string, unknown> = xl
    ? {
      _class_name: 'ORTStableDiffusionXLPipeline',
      _diffusers_version: '0.24.0',
      _sd_studio: 'built from a single-file checkpoint by sd-studio',
      scheduler: ['diffusers', 'EulerDiscreteScheduler'],
      text_encoder: family === 'sdxl' ? onnxPart : [null, null],
      text_encoder_2: onnxPart,
      unet: onnxPart,
      vae_decoder: onnxPart,
      vae_encoder: onnxPart,
      force_zeros_for_empty_prompt: family === 'sdxl',
      requires_aesthetics_score: family === 'sdxl-refiner',
    }
    : {
      _class_name: 'OnnxStableDiffusionPipeline',
      _diffusers_version: '0.14.0',
      _sd_studio: 'built from a single-file checkpoint by sd-studio',
      scheduler: ['diffusers', 'PNDMScheduler'],
      text_encoder: onnxPart,
      unet: onnxPart,
      vae_decoder: onnxPart,
      vae_encoder: onnxPart,
      safety_checker: [null, null],
      feature_extractor: [null, null],
      requires_safety_checker: false,
    };
  if (hasTokenizerDir) {
    if (family !== 'sdxl-refiner') index.tokenizer = ['transformers', 'CLIPTokenizer'];
    if (xl) index.tokenizer_2 = ['transformers', 'CLIPTokenizer'];
  }
  writeFileAtomicSync(join(dir, 'model_index.json'), JSON.stringify(index, null, 2));
}
