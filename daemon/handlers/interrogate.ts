import { extname, resolve } from 'node:path';
import { invalidParam } from '../errors';
import { imageInputs } from './imageInputs';
import { runInterrogate, type ResolvedInterrogate } from '../pipelines/interrogate';
import type { DaemonSettings, InterrogateMethod, InterrogateParams, InterrogateSettings } from '../protocol';
import type { DaemonServer } from '../server';
import type { Services } from '../services';
import { INTERROGATE_DEFAULTS } from '../settings';

/** `sd/interrogate`: a job on the one worker (the models are big; A1111 runs them one at a time too). */
export function registerInterrogateHandlers(server: DaemonServer, services: Services): void {
  server.onJobRequest('sd/interrogate', 'interrogate', (params, { job, settings }) =>
    runInterrogate(resolveInterrogate(params, settings), job, { models: services.interrogate, tokenizers: services.tokenizers }),
  );
}

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif']);
const METHODS: Record<string, InterrogateMethod> = { clip: 'clip', deepbooru: 'deepbooru', deepdanbooru: 'deepbooru', wd14: 'wd14' };

/** The request's settings over the daemon's, every field checked (errors name `settings.<field>`). */
export function interrogateSettings(over: Partial<InterrogateSettings> | undefined, base: Partial<InterrogateSettings> | undefined): InterrogateSettings {
  const s: InterrogateSettings = { ...INTERROGATE_DEFAULTS, ...(base ?? {}), ...(over ?? {}) };
  const int = (k: keyof InterrogateSettings, min: number, max: number): void => {
    const v = s[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalidParam(`settings.${k}`, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  };
  const num = (k: keyof InterrogateSettings): void => {
    const v = s[k];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw invalidParam(`settings.${k}`, `expected a number from 0 to 1, got ${JSON.stringify(v)}`);
  };
  const bool = (k: keyof InterrogateSettings): void => {
    if (typeof s[k] !== 'boolean') throw invalidParam(`settings.${k}`, `expected true or false, got ${JSON.stringify(s[k])}`);
  };
  int('clipNumBeams', 1, 16);
  int('clipMinLength', 1, 128);
  int('clipMaxLength', 1, 256);
  int('clipDictLimit', 0, 1_000_000);
  num('deepbooruThreshold');
  num('wd14Threshold');
  for (const k of ['keepModelsInMemory', 'returnRanks', 'deepbooruSortAlpha', 'deepbooruUseSpaces', 'deepbooruEscape'] as const) bool(k);
  if (!Array.isArray(s.clipSkipCategories) || !s.clipSkipCategories.every((x) => typeof x === 'string')) throw invalidParam('settings.clipSkipCategories', 'expected a list of term-list names');
  if (typeof s.deepbooruFilterTags !== 'string') throw invalidParam('settings.deepbooruFilterTags', 'expected comma-separated tags');
  if (typeof s.wd14Model !== 'string') throw invalidParam('settings.wd14Model', 'expected a tagger name');
  return s;
}

export function resolveInterrogate(p: InterrogateParams, settings: DaemonSettings): ResolvedInterrogate {
  const method = METHODS[p.model ?? 'clip'];
  if (!method) throw invalidParam('model', `unknown interrogation method "${String(p.model)}"`, 'clip, deepbooru (deepdanbooru) or wd14');
  const inputs: ResolvedInterrogate['inputs'] = imageInputs(p.images, p.input_dir, (name) => IMAGE_EXT.has(extname(name).toLowerCase()));
  if (inputs.length === 0) throw invalidParam('images', 'no input images (give images or an input_dir with images in it)');
  const s = interrogateSettings(p.settings, settings.interrogate);
  if (s.clipMinLength > s.clipMaxLength) throw invalidParam('settings.clipMinLength', `${s.clipMinLength} is more than clipMaxLength ${s.clipMaxLength}`);
  return {
    method, inputs, settings: s, modelsRoot: settings.modelsRoot, modelSetting: settings.model,
    ...(p.output_dir ? { outputDir: resolve(p.output_dir) } : {}),
    writeBeside: p.write_captions === true, overwrite: p.overwrite === true,
  };
}
