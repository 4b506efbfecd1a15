// Metadata texts → GenerationInfo: decide which generator wrote them (by the keys and shapes each one
// writes, most specific first), hand the text to that format's reader, and keep everything raw.

import { looksLikeInfotext, readA1111 } from './formats/a1111Format';
import { readComfy } from './formats/comfyui';
import { readFooocus, readInvoke, readInvokeLegacy, readSwarm } from './formats/jsonFormats';
import { readNovelAI } from './formats/novelai';
import { emptyResult, type FormatResult, type GenerationInfo } from './generationInfo';
import type { ImageMeta } from './imageMeta';
import { isObject, tryParseJson, type JsonValue } from './json';

/** Decides the format from keyword → text (later entries win, as in PIL's `info`). */
function detect(t: Record<string, string>): FormatResult | null {
  const json = (k: string): JsonValue | undefined => (t[k] !== undefined ? tryParseJson(t[k]) : undefined);
  const userComment = t['EXIF:UserComment'];
  const ucJson = userComment !== undefined && /^\s*\{/.test(userComment) ? tryParseJson(userComment) : undefined;

  // NovelAI: PNG keys, or the WebP export's UserComment object holding the same keys.
  if (t.Software === 'NovelAI' && t.Comment !== undefined) return readNovelAI(t, 'Comment');
  if (isObject(ucJson) && ucJson.Software === 'NovelAI') {
    const keys: Record<string, string> = {};
    for (const [k, v] of Object.entries(ucJson)) if (typeof v === 'string') keys[k] = v;
    return readNovelAI(keys, 'EXIF:UserComment');
  }
  // ComfyUI SaveImagePlus and similar: {"prompt": {...}, "workflow": {...}} in UserComment.
  if (isObject(ucJson) && isObject(ucJson.prompt)) return readComfy(ucJson.prompt, 'EXIF:UserComment');

  const params = t.parameters;
  if (params !== undefined) {
    const p = /^\s*\{/.test(params) ? json('parameters') : undefined;
    if (isObject(p) && isObject(p.sui_image_params)) return readSwarm(p, 'parameters');
    if (isObject(p) && (t.fooocus_scheme === 'fooocus' || p.metadata_scheme === 'fooocus' || 'full_prompt' in p)) return readFooocus(p, 'parameters');
    if (!isObject(p)) return readA1111(params, 'parameters');
  }
  if (t.invokeai_metadata !== undefined) {
    const m = json('invokeai_metadata');
    if (isObject(m)) return readInvoke(m, 'invokeai_metadata');
  }
  if (t['sd-metadata'] !== undefined || t.Dream !== undefined) {
    const m = json('sd-metadata');
    if (isObject(m) || t.Dream !== undefined) return readInvokeLegacy(isObject(m) ? m : null, t.Dream ?? null, 'sd-metadata');
  }
  // A1111 JPEG/WebP: the infotext in UserComment (A1111 prefers it over "parameters").
  if (userComment !== undefined && userComment.trim() !== '' && !ucJson) return readA1111(userComment, 'EXIF:UserComment');
  if (t.prompt !== undefined) {
    const c = readComfy(json('prompt') ?? null, 'prompt');
    if (c) return c;
  }
  // Infotexts in other places tools copy them to: XMP, a JPEG comment, a PNG Comment / Description.
  for (const k of ['XMP:exif:UserComment', 'XMP:dc:description', 'JPEG:Comment', 'Comment', 'Description', 'EXIF:ImageDescription']) {
    if (t[k] !== undefined && looksLikeInfotext(t[k])) return readA1111(t[k], k);
  }
  return null;
}

export function interpretMetadata(meta: ImageMeta): GenerationInfo {
  const raw: Record<string, string> = {};
  const problems = [...meta.problems];
  for (const e of meta.entries) {
    raw[e.keyword] = e.text;
    if (e.problem) problems.push(`${e.keyword}: ${e.problem}`);
  }
  let found: FormatResult | null = null;
  try {
    found = detect(raw);
  } catch (e) {
    problems.push(`metadata could not be parsed: ${(e as Error).message}`);
  }
  if (!found) {
    if (meta.container !== 'unknown' && meta.entries.length === 0 && problems.length === 0) problems.push('no metadata: the file has no text chunks or EXIF comment');
    else if (meta.container !== 'unknown' && problems.length === 0) {
      problems.push(`no generation parameters: none of the metadata (${Object.keys(raw).join(', ')}) is from a known generator`);
    }
  }
  const r = found ?? emptyResult('none', null);
  const { problems: formatProblems, infotext, ...rest } = r;
  if (formatProblems) problems.push(...formatProblems);
  return { ...rest, infotext: infotext ?? null, raw, problems };
}
