// Generators that store their settings as plain key → value pairs, one PNG text chunk each or one flat JSON
// object: kohya sd-scripts (gen_img_diffusers.py: "prompt", "negative-prompt", "seed", "sampler", "steps",
// "scale"), Easy Diffusion (save_utils.py TASK_TEXT_MAPPING, snake_case or display names), Hugging Face Spaces
// and diffusers pipelines ("num_inference_steps", "guidance_scale", ...), and JSON no known generator writes,
// read the same way but flagged as a guess. Keys match ignoring case, spaces, "_" and "-".

import { emptyResult, int, modelName, num, seedOf, str, type FormatResult, type InfoFormat } from '../generationInfo';
import type { JsonValue } from '../json';

type Field = 'prompt' | 'negativePrompt' | 'steps' | 'sampler' | 'schedule' | 'cfgScale' | 'seed' | 'width' | 'height'
  | 'size' | 'model' | 'modelHash' | 'denoisingStrength';

/** Each field's key spellings, compared as lower case without spaces, "_" and "-". */
const SYNONYMS: Readonly<Record<Field, readonly string[]>> = {
  prompt: ['prompt', 'positiveprompt', 'positive', 'prompttext'],
  negativePrompt: ['negativeprompt', 'negative', 'negprompt', 'uc'],
  steps: ['steps', 'numinferencesteps', 'samplesteps', 'numsteps', 'ddimsteps', 'samplingsteps', 'inferencesteps'],
  sampler: ['sampler', 'samplername', 'samplesampler', 'samplingmethod'],
  schedule: ['scheduletype', 'noiseschedule', 'schedule', 'scheduler'],
  cfgScale: ['cfgscale', 'cfg', 'guidancescale', 'scale', 'guidance'],
  seed: ['seed', 'noiseseed', 'manualseed'],
  width: ['width'],
  height: ['height'],
  size: ['size', 'resolution', 'dimensions', 'imagesize'],
  model: ['model', 'modelname', 'modelid', 'checkpoint', 'basemodel', 'ckpt', 'ckptname', 'usestablediffusionmodel',
    'stablediffusionmodel', 'pretrainedmodelnameorpath', 'sdmodel', 'basemodelname'],
  modelHash: ['modelhash', 'basemodelhash', 'checkpointhash', 'hash'],
  denoisingStrength: ['denoisingstrength', 'strength', 'denoise', 'promptstrength', 'denoisestrength'],
};

const norm = (k: string): string => k.toLowerCase().replace(/[\s_-]/g, '');
/** Normalized key → field, built once from SYNONYMS (a constant table, never changed after). */
const FIELD_OF: ReadonlyMap<string, Field> = new Map(
  (Object.entries(SYNONYMS) as Array<[Field, readonly string[]]>).flatMap(([field, keys]) => keys.map((k): [string, Field] => [k, field])),
);

/** The first value per field, in the record's key order; "None"/"null" (str() of nothing) count as absent. */
function fieldValues(record: Readonly<Record<string, JsonValue>>): Partial<Record<Field, JsonValue>> {
  const out: Partial<Record<Field, JsonValue>> = {};
  for (const [k, v] of Object.entries(record)) {
    let field = FIELD_OF.get(norm(k));
    if (!field || out[field] !== undefined || v === null || v === 'None' || v === 'null') continue;
    // diffusers calls the sampler a "scheduler" (EulerAncestralDiscreteScheduler); ComfyUI calls the schedule so.
    if (field === 'schedule' && typeof v === 'string' && /Scheduler$/.test(v)) field = 'sampler';
    if (out[field] === undefined) out[field] = v;
  }
  return out;
}

/** "832x1216", "832 x 1216", "(832, 1216)", "832*1216" or [832, 1216]. */
function sizeOf(v: JsonValue | undefined): [number, number] | null {
  if (Array.isArray(v) && v.length === 2) {
    const [w, h] = [int(v[0]), int(v[1])];
    return w !== null && h !== null ? [w, h] : null;
  }
  const m = typeof v === 'string' ? /^\s*\(?\s*(\d+)\s*[x×*,]\s*(\d+)\s*\)?\s*$/i.exec(v) : null;
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** How many settings fields a record's keys give (a guess needs at least one besides the prompt). */
export function settingsFieldCount(record: Readonly<Record<string, JsonValue>>): { prompt: boolean; settings: number } {
  const f = fieldValues(record);
  const settings = (['steps', 'sampler', 'cfgScale', 'seed', 'width', 'size', 'model'] as const).filter((k) => f[k] !== undefined).length;
  return { prompt: f.prompt !== undefined, settings };
}

export interface KeyValueOptions {
  generator: string | null;
  /** The image's own size, for writers that do not record it (kohya). */
  imageSize?: { width?: number; height?: number };
  guessed?: boolean;
}

/** A record of settings under any of the known key spellings → FormatResult. */
export function readKeyValues(record: Readonly<Record<string, JsonValue>>, format: InfoFormat, source: string, o: KeyValueOptions): FormatResult {
  const f = fieldValues(record);
  const r = emptyResult(format, source);
  r.generator = o.generator;
  r.prompt = str(f.prompt);
  r.negativePrompt = str(f.negativePrompt);
  r.steps = int(f.steps);
  r.sampler = str(f.sampler);
  r.scheduleType = str(f.schedule);
  r.cfgScale = num(f.cfgScale);
  r.seed = seedOf(f.seed);
  const size = sizeOf(f.size);
  r.width = int(f.width) ?? size?.[0] ?? o.imageSize?.width ?? null;
  r.height = int(f.height) ?? size?.[1] ?? o.imageSize?.height ?? null;
  r.model = modelName(str(f.model));
  r.modelHash = str(f.modelHash);
  r.denoisingStrength = num(f.denoisingStrength);
  r.parameters = { ...record };
  if (o.guessed) r.guessed = true;
  return r;
}
