// NovelAI: PNG text Description / Software "NovelAI" / Source (model) / Comment (JSON settings). The WebP
// export puts the same keys, as one JSON object, in EXIF UserComment (and the Description keeps 4 leading
// NULs there). Sampler names stay NovelAI's own (k_euler_ancestral); send-to maps them.

import { emptyResult, int, num, seedOf, str, type FormatResult } from '../generationInfo';
import { isObject, tryParseJson, type JsonValue } from '../json';

const stripNul = (s: string | null) => (s === null ? null : s.replace(/^\0+/, ''));

/** `keys`: the PNG text keys (or the UserComment object's keys): Description, Comment, Source, ... */
export function readNovelAI(keys: Record<string, string>, source: string): FormatResult {
  const r = emptyResult('novelai', source);
  const comment = tryParseJson(keys.Comment ?? '');
  const c: { [key: string]: JsonValue } = isObject(comment) ? comment : {};
  const description = stripNul(keys.Description ?? null);
  r.generator = 'NovelAI';
  r.prompt = str(c.prompt) ?? description;
  r.negativePrompt = str(c.uc);
  r.steps = int(c.steps);
  r.sampler = str(c.sampler);
  r.scheduleType = str(c.noise_schedule);
  r.cfgScale = num(c.scale);
  r.seed = seedOf(c.seed);
  r.width = int(c.width);
  r.height = int(c.height);
  r.model = keys.Source ?? null;
  const params: { [key: string]: JsonValue } = { ...c };
  for (const k of ['Title', 'Software', 'Source', 'Generation time']) if (keys[k] !== undefined) params[k] = keys[k];
  if (description !== null) params.Description = description;
  const v4 = isObject(c.v4_prompt) && isObject(c.v4_prompt.caption) ? c.v4_prompt.caption : null;
  if (v4 && Array.isArray(v4.char_captions)) params.v4_char_captions = v4.char_captions;
  r.parameters = params;
  if (keys.Comment !== undefined && !isObject(comment)) r.problems = ['NovelAI Comment is not valid JSON'];
  return r;
}
