// TensorArt (tensor.art): a "generation_data" text holding the request as JSON (NUL-padded) — prompt,
// negativePrompt, width, height, seed (a string; "-1" when the site drew it), steps, cfgScale, clipSkip,
// baseModel {modelFileName, hash} — beside the ComfyUI API graph it ran ("prompt"). The request wins; the graph
// gives what the request leaves out (the sampler, the seed actually used, the denoise).

import { emptyResult, int, modelName, num, seedOf, str, type FormatResult } from '../generationInfo';
import { isObject, type JsonValue } from '../json';
import { readComfy } from './comfyui';

type Obj = { [key: string]: JsonValue };

export function readTensorArt(data: Obj, graph: JsonValue | undefined, source: string): FormatResult {
  const c = graph !== undefined ? readComfy(graph, 'prompt') : null;
  const r = emptyResult('tensorart', source);
  r.generator = 'TensorArt';
  r.prompt = str(data.prompt) ?? c?.prompt ?? null;
  r.negativePrompt = str(data.negativePrompt) ?? c?.negativePrompt ?? null;
  r.steps = int(data.steps) ?? c?.steps ?? null;
  r.cfgScale = num(data.cfgScale) ?? c?.cfgScale ?? null;
  const seed = seedOf(data.seed);
  r.seed = seed !== null && !String(seed).startsWith('-') ? seed : c?.seed ?? null;
  r.width = int(data.width) ?? c?.width ?? null;
  r.height = int(data.height) ?? c?.height ?? null;
  r.sampler = str(data.sampler) ?? c?.sampler ?? null;
  r.scheduleType = str(data.scheduler) ?? c?.scheduleType ?? null;
  const base = isObject(data.baseModel) ? data.baseModel : {};
  r.model = modelName(str(base.modelFileName)) ?? c?.model ?? null;
  r.modelHash = str(base.hash);
  r.denoisingStrength = num(data.denoise) ?? c?.denoisingStrength ?? null;
  r.parameters = { ...data, ...(c ? { comfyui: c.parameters } : {}) };
  return r;
}
