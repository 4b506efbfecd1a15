// Images made by Civitai's own generator. Its A1111-style text (JPEG/WebP EXIF UserComment, PNG "parameters")
// ends with unquoted JSON: "Civitai resources: [{type, modelVersionId, modelName, modelVersionName, weight}]" and
// "Civitai metadata: {...}" (civitai src/utils/metadata: automatic.metadata.ts reads them with regexes). Its
// ComfyUI-run jobs store the API graph instead (UserComment JSON, or the PNG "prompt" text) with the request's
// settings as a JSON string in "extraMetadata" (prompt, negativePrompt, steps, cfgScale, sampler in A1111's
// names, seed, width, height, baseModel, transformations): the graph's own nodes win, extraMetadata fills the
// rest (an upscale-only graph has no sampler at all).

import { emptyResult, int, num, seedOf, str, type FormatResult } from '../generationInfo';
import { isObject, tryParseJson, type JsonValue } from '../json';
import { readA1111Like } from './a1111Like';
import { readComfy } from './comfyui';

type Obj = { [key: string]: JsonValue };

/** Is this A1111-style text Civitai's? */
export const isCivitaiText = (text: string): boolean => /(^|[\s,])Civitai (resources|metadata):\s*[[{]/.test(text);

export function readCivitaiText(text: string, source: string): FormatResult {
  const r = readA1111Like(text, source, 'civitai', 'Civitai', 'comfyui');
  const resources = r.parameters['Civitai resources'];
  const checkpoint = Array.isArray(resources) ? resources.find((x) => isObject(x) && x.type === 'checkpoint') : undefined;
  if (r.model === null && isObject(checkpoint)) {
    r.model = [str(checkpoint.modelName), str(checkpoint.modelVersionName)].filter(Boolean).join(' ') || null;
  }
  return r;
}

/** extraMetadata as stored: a JSON string (or, in a few files, the object itself). */
export function civitaiExtraMetadata(v: JsonValue | undefined): Obj | null {
  const parsed = typeof v === 'string' ? tryParseJson(v) : v;
  return isObject(parsed) ? parsed : null;
}

export function readCivitaiComfy(graph: JsonValue, extra: Obj | null, source: string): FormatResult | null {
  const r = readComfy(graph, source);
  if (!r && !extra) return null;
  const out = r ?? emptyResult('civitai', source);
  out.format = 'civitai';
  out.generator = 'Civitai (ComfyUI)';
  if (extra) {
    const e = extra;
    out.prompt ??= str(e.prompt);
    out.negativePrompt ??= str(e.negativePrompt);
    out.steps ??= int(e.steps);
    out.cfgScale ??= num(e.cfgScale);
    out.sampler ??= str(e.sampler);
    out.seed ??= seedOf(e.seed);
    out.width ??= int(e.width);
    out.height ??= int(e.height);
    out.model ??= str(e.baseModel);
    out.parameters = { ...out.parameters, extraMetadata: e };
    // The settings came from extraMetadata: the graph lacking a sampler is not a problem then.
    if (out.steps !== null && out.prompt !== null) out.problems = (out.problems ?? []).filter((p) => !/no sampler node/.test(p));
  }
  return out;
}
