// The `info` string of a txt2img/img2img response: `Processed.js()` (`modules/processing.py`), a JSON object
// describing the run, with one infotext per image (a script's grids first, as A1111 inserts them). Built from the
// daemon's result and its infotexts, so what a client reads here is exactly what the saved images carry.
import { parseGenerationParameters } from '../infotext/a1111';
import type { GenerationResult } from '../protocol';
import { parseSeed, seedJson } from '../seed';

/**
 * Infotext keys `create_infotext` takes from `Processed`'s own fields; the others (hires keys, "Denoising strength",
 * which both tabs keep in `p.extra_generation_params`) form `extra_generation_params`.
 */
const CORE_KEYS = new Set([
  'Steps', 'Sampler', 'Schedule type', 'CFG scale', 'Seed', 'Size-1', 'Size-2', 'Model hash', 'Model', 'VAE hash', 'VAE',
  'Variation seed', 'Variation seed strength', 'Seed resize from-1', 'Seed resize from-2', 'Clip skip', 'Version', 'Face restoration',
]);

const num = (v: string | undefined): number | null => (v !== undefined && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** An extra parameter as the Python value it was before the infotext wrote it (numbers and booleans unquoted). */
function pyValue(v: string): unknown {
  if (v === 'True' || v === 'False') return v === 'True';
  return /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v) && Number.isFinite(Number(v)) ? Number(v) : v;
}

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
  started: Date;
  /** `p.denoising_strength` as requested (txt2img's too: its default 0.75 is the hires pass's). */
  denoisingStrength: number | null;
  /** `opts.face_restoration_model` when the job restored faces, else null. */
  faceRestoration: string | null;
}

export function processedInfo(r: GenerationResult, c: InfoContext): Record<string, unknown> {
  const grids = r.grids ?? [];
  const infotexts = [...grids, ...r.images].map((i) => i.infotext);
  const parsed = r.images.map((i) => parseGenerationParameters(i.infotext));
  // The run's own parameters: the first image's (a script's grid infotext adds the script's keys to it).
  const f = (parsed[0] ?? parseGenerationParameters(infotexts[0] ?? '')).fields;
  const seeds = r.images.map((i) => i.seed);
  const p = r.parameters;
  const subseedStrength = p.subseed_strength ?? 0;
  const subseed = p.subseed ?? -1;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) if (!CORE_KEYS.has(k) && !k.endsWith('-1') && !k.endsWith('-2')) extra[k] = pyValue(v);
  // The prompts each image was made from (styles applied, a script's own per image), as `p.all_prompts`.
  const prompts = parsed.map((x) => x.prompt);
  const negatives = parsed.map((x) => x.negativePrompt);
  return {
    prompt: prompts[0] ?? c.prompt,
    all_prompts: prompts,
    negative_prompt: negatives[0] ?? c.negativePrompt,
    all_negative_prompts: negatives,
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
    restore_faces: c.faceRestoration !== null,
    face_restoration_model: c.faceRestoration,
    sd_model_name: f['Model'] ?? null,
    sd_model_hash: f['Model hash'] ?? null,
    sd_vae_name: f['VAE'] ?? null,
    sd_vae_hash: f['VAE hash'] ?? null,
    seed_resize_from_w: p.seed_resize_from_w ?? -1,
    seed_resize_from_h: p.seed_resize_from_h ?? -1,
    denoising_strength: c.denoisingStrength,
    extra_generation_params: extra,
    index_of_first_image: grids.length,
    infotexts,
    styles: c.styles,
    job_timestamp: jobTimestamp(c.started),
    clip_skip: num(f['Clip skip']) ?? 1,
    is_using_inpainting_conditioning: f['Conditional mask weight'] !== undefined,
    version: f['Version'] ?? null,
  };
}
