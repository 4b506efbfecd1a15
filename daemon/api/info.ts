// The `info` string of a txt2img/img2img response: `Processed.js()` (`modules/processing.py`), a JSON object
// describing the run, with one infotext per image. Built from the daemon's result and its infotexts, so what a
// client reads here is exactly what the saved PNGs carry.
import { parseGenerationParameters } from '../infotext/a1111';
import type { GenerationResult } from '../protocol';
import { parseSeed, seedJson } from '../seed';

/** Infotext keys that `Processed` has fields for; the others form `extra_generation_params`. */
const CORE_KEYS = new Set([
  'Steps', 'Sampler', 'Schedule type', 'CFG scale', 'Seed', 'Size-1', 'Size-2', 'Model hash', 'Model', 'VAE hash', 'VAE',
  'Variation seed', 'Variation seed strength', 'Seed resize from-1', 'Seed resize from-2', 'Denoising strength', 'Clip skip',
  'Version', 'Face restoration',
]);

const num = (v: string | undefined): number | null => (v !== undefined && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** A1111 1.10's `job_timestamp`: local time as YYYYmmddHHMMSS. */
export function jobTimestamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export interface InfoContext {
  prompt: string;
  negativePrompt: string;
  styles: string[];
  batchSize: number;
  isImg2Img: boolean;
  started: Date;
}

export function processedInfo(r: GenerationResult, c: InfoContext): Record<string, unknown> {
  const infotexts = r.images.map((i) => i.infotext);
  const first = parseGenerationParameters(infotexts[0] ?? '');
  const f = first.fields;
  const seeds = r.images.map((i) => i.seed);
  const p = r.parameters;
  const subseedStrength = p.subseed_strength ?? 0;
  const subseed = p.subseed ?? -1;
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (!CORE_KEYS.has(k) && !k.endsWith('-1') && !k.endsWith('-2')) extra[k] = v;
  return {
    prompt: c.prompt,
    all_prompts: seeds.map(() => c.prompt),
    negative_prompt: c.negativePrompt,
    all_negative_prompts: seeds.map(() => c.negativePrompt),
    seed: seeds[0] ?? p.seed ?? -1,
    all_seeds: seeds,
    subseed,
    // A1111: subseeds follow the images (subseed + i), whatever the strength.
    all_subseeds: seeds.map((_, i) => seedJson((parseSeed(subseed) ?? -1n) + BigInt(i))),
    subseed_strength: subseedStrength,
    width: p.width ?? 512,
    height: p.height ?? 512,
    sampler_name: p.sampler_name ?? f['Sampler'] ?? null,
    cfg_scale: p.cfg_scale ?? num(f['CFG scale']),
    steps: p.steps ?? num(f['Steps']),
    batch_size: c.batchSize,
    restore_faces: false,
    face_restoration_model: null,
    sd_model_name: f['Model'] ?? null,
    sd_model_hash: f['Model hash'] ?? null,
    sd_vae_name: f['VAE'] ?? null,
    sd_vae_hash: f['VAE hash'] ?? null,
    seed_resize_from_w: p.seed_resize_from_w ?? -1,
    seed_resize_from_h: p.seed_resize_from_h ?? -1,
    denoising_strength: c.isImg2Img ? (p.denoising_strength ?? 0.75) : null,
    extra_generation_params: extra,
    index_of_first_image: 0,
    infotexts,
    styles: c.styles,
    job_timestamp: jobTimestamp(c.started),
    clip_skip: num(f['Clip skip']) ?? 1,
    is_using_inpainting_conditioning: f['Conditional mask weight'] !== undefined,
    version: f['Version'] ?? null,
  };
}
