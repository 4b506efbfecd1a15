// The small files of a diffusers ONNX folder besides the graphs: scheduler config, model_index.json and the
// CLIP tokenizer. The tokenizer is copied from a folder the user names, env SD_STUDIO_TOKENIZER, the Hugging
// Face cache A1111 installs fill (openai/clip-vit-large-patch14, whose BPE SD 2.x shares), or else the one
// SD Studio ships (models/bundledTokenizer.ts).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Prediction } from './arch/archConfig';
import { writeFileAtomicSync } from './formats/atomicFile';
import { hfSnapshots } from './registry';
import type { SdFamily } from './detect';
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

/** Copies the tokenizer; SD 2.x pads with "!" (id 0, open_clip), SD 1.x with the end token. */
export function writeTokenizer(from: string, dir: string, family: SdFamily): void {
  const out = join(dir, 'tokenizer');
  mkdirSync(out, { recursive: true });
  // Written atomically: a cached model folder may be completed while another process reads it.
  for (const f of ['vocab.json', 'merges.txt']) writeFileAtomicSync(join(out, f), readFileSync(join(from, f)));
  const pad = family === 'sd2' ? '!' : '<|endoftext|>';
  const special = { bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', pad_token: pad };
  writeFileAtomicSync(join(out, 'special_tokens_map.json'), JSON.stringify(special, null, 2));
  writeFileAtomicSync(join(out, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'CLIPTokenizer', model_max_length: 77, do_lower_case: true, ...special }, null, 2));
}

/** SD 1.x/2.x training schedule (both families): scaled_linear 0.00085 → 0.012 over 1000 steps. */
export function writeSchedulerAndIndex(dir: string, prediction: Prediction, hasTokenizerDir: boolean): void {
  mkdirSync(join(dir, 'scheduler'), { recursive: true });
  const scheduler = {
    _class_name: 'PNDMScheduler',
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
  const index: Record<string, unknown> = {
    _class_name: 'OnnxStableDiffusionPipeline',
    _diffusers_version: '0.14.0',
    _sd_studio: 'built from a single-file checkpoint by sd-studio',
    scheduler: ['diffusers', 'PNDMScheduler'],
    text_encoder: ['diffusers', 'OnnxRuntimeModel'],
    unet: ['diffusers', 'OnnxRuntimeModel'],
    vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
    vae_encoder: ['diffusers', 'OnnxRuntimeModel'],
    safety_checker: [null, null],
    feature_extractor: [null, null],
    requires_safety_checker: false,
  };
  if (hasTokenizerDir) index.tokenizer = ['transformers', 'CLIPTokenizer'];
  writeFileAtomicSync(join(dir, 'model_index.json'), JSON.stringify(index, null, 2));
}
