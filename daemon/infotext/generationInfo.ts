// The one model every reader produces: what a person (and "send to img2img") needs from an image's
// metadata, whatever wrote it. Fields a format lacks are null; every key it has is in `parameters`.

import type { JsonValue } from './json';

export type InfoFormat =
  | 'a1111' // A1111, Forge, SD.Next, and anything else writing the "parameters" infotext
  | 'comfyui'
  | 'swarmui'
  | 'invokeai' // 3.x+ invokeai_metadata
  | 'invokeai-legacy' // 2.x sd-metadata / Dream, and lstein/stable-diffusion
  | 'novelai'
  | 'fooocus' // Fooocus (both metadata schemes) and its forks (RuinedFooocus, ...)
  | 'civitai' // Civitai's generator: A1111-style text with resource JSON, or its ComfyUI graph with extraMetadata
  | 'tensorart' // TensorArt: generation_data JSON beside a ComfyUI graph
  | 'drawthings' // Draw Things: XMP exif:UserComment JSON
  | 'easydiffusion'
  | 'kohya' // kohya sd-scripts image generation: one text chunk per setting
  | 'diffusers' // Hugging Face Spaces and diffusers pipelines: plain key/value chunks or JSON
  | 'midjourney' // Midjourney: prompt and job id only, no settings
  | 'provenance' // a C2PA manifest or XMP AI-source mark naming the generator (DALL·E, Firefly, ...): no settings
  | 'json' // JSON no known generator writes: the keys that look like settings, mapped as a guess (`guessed`)
  | 'none'; // no generation data (or none we could read): see `problems`

export interface GenerationInfo {
  format: InfoFormat;
  /** Which program, when the metadata says (e.g. "Forge", "SD.Next", "InvokeAI v2.2.0"). */
  generator: string | null;
  /** Keyword of the entry the settings came from (e.g. "parameters", "EXIF:UserComment", "prompt"). */
  source: string | null;
  prompt: string | null;
  /** null = the format has no negative prompt here; "" = present but empty. */
  negativePrompt: string | null;
  steps: number | null;
  sampler: string | null;
  scheduleType: string | null;
  cfgScale: number | null;
  /** A number, or the exact decimal string when it is beyond 2^53 (or the source stored a string). */
  seed: number | string | null;
  width: number | null;
  height: number | null;
  modelHash: string | null;
  model: string | null;
  denoisingStrength: number | null;
  /** True when the settings were guessed from keys no known generator writes (check them before reusing). */
  guessed: boolean;
  /** Every key the format carries, unknown ones included (A1111: its parse result, defaults included). */
  parameters: Record<string, JsonValue>;
  /**
   * The A1111 infotext when the image carries one; for another writer's A1111-style text, that text with A1111's
   * names and keys (the text as stored is in `raw`).
   */
  infotext: string | null;
  /** Every metadata text in the file: keyword → text (EXIF tags as "EXIF:<Tag>"). */
  raw: Record<string, string>;
  /** What could not be read or parsed, in words. */
  problems: string[];
}

/** The settings part a format reader fills; `interpret` adds format-independent parts (raw, problems). */
export type FormatResult = Omit<GenerationInfo, 'raw' | 'problems' | 'infotext' | 'guessed'> & {
  infotext?: string | null;
  problems?: string[];
  guessed?: boolean;
};

export function emptyResult(format: InfoFormat, source: string | null): FormatResult {
  return {
    format, generator: null, source, prompt: null, negativePrompt: null, steps: null, sampler: null, scheduleType: null,
    cfgScale: null, seed: null, width: null, height: null, modelHash: null, model: null, denoisingStrength: null, parameters: {},
  };
}

/** A finite number from a JSON number or numeric string; null otherwise. */
export function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

export function int(v: unknown): number | null {
  const n = num(v);
  return n !== null && Number.isInteger(n) ? n : null;
}

/** A seed as written: numbers stay numbers, digit strings beyond 2^53 stay exact strings. */
export function seedOf(v: unknown, keepStrings = false): number | string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v.trim())) return null;
  if (keepStrings) return v.trim();
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v.trim();
}

export function str(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
}

/** "model.safetensors" → "model", as A1111 names checkpoints in infotexts. */
export function modelName(file: unknown): string | null {
  if (typeof file !== 'string' || file === '') return null;
  const base = file.split(/[\\/]/).pop()!;
  return base.replace(/\.(safetensors|ckpt|pt|pth|bin|gguf|sft|onnx)$/i, '');
}
