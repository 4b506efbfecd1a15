// Which generator wrote an image's metadata, from the keys and shapes each one writes (most specific first), and
// that generator's reader. Keys are as imageMeta.ts names them: PNG text keywords, "EXIF:<Tag>", "XMP:<prop>",
// "C2PA:<field>", and "stealth_…" for a payload hidden in the pixels.

import { stripNuls } from './exif';
import { looksLikeInfotext, readA1111 } from './formats/a1111Format';
import { readA1111Like } from './formats/a1111Like';
import { civitaiExtraMetadata, isCivitaiText, readCivitaiComfy, readCivitaiText } from './formats/civitai';
import { readComfy } from './formats/comfyui';
import { readDrawThings } from './formats/drawThings';
import { isFooocusJson, readFooocus, readFooocusA1111, readFooocusFork, readRuinedFooocus } from './formats/fooocus';
import { readInvokeLegacy } from './formats/invokeLegacy';
import { readInvoke, readSwarm } from './formats/jsonFormats';
import { readKeyValues, settingsFieldCount } from './formats/keyValue';
import { readNovelAI } from './formats/novelai';
import { isMidjourneyText, readMidjourney, readProvenance } from './formats/provenance';
import { readTensorArt } from './formats/tensorArt';
import type { FormatResult } from './generationInfo';
import { isObject, tryParseJson, type JsonValue } from './json';

type Obj = { [key: string]: JsonValue };
export interface ImageSize { width?: number; height?: number }

const jsonOf = (text: string | undefined): JsonValue | undefined =>
  text !== undefined && /^\s*[{[]/.test(text) ? tryParseJson(stripNuls(text)) : undefined;

/** String-valued keys of an object (NovelAI's and ComfyUI's JSON hold their PNG texts so). */
function stringKeys(o: Obj): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string') keys[k] = v;
  return keys;
}

/** PNG text chunks only (not EXIF/XMP/C2PA entries): the records of the key/value writers. */
function textChunks(t: Record<string, string>): Obj {
  const o: Obj = {};
  for (const [k, v] of Object.entries(t)) if (!/^(EXIF|XMP|C2PA):|^XML:com\.adobe\.xmp$/.test(k)) o[k] = v;
  return o;
}

const isEasyDiffusion = (o: Obj): boolean => 'use_stable_diffusion_model' in o || 'Stable Diffusion model' in o;
const isDiffusersRecord = (o: Obj): boolean => 'prompt' in o && ('num_inference_steps' in o || 'guidance_scale' in o);
/** sd-scripts: gen_img_diffusers.py's chunks (prompt, seed, steps, scale) or a training sample prompt's keys. */
const isKohyaRecord = (o: Obj): boolean =>
  'prompt' in o && ('sample_sampler' in o || 'sample_steps' in o || ('seed' in o && 'steps' in o && 'scale' in o));
/** ComfyUI save nodes that write an A1111-style text end it with "Version: ComfyUI". */
const isComfyText = (text: string): boolean => /(^|,\s*)Version:\s*ComfyUI\s*(,|$)/m.test(text.slice(text.lastIndexOf('\n') + 1));

/** A JSON record in a text (ComfyUI's stealth payload, NovelAI's WebP UserComment, ...) → its reader. */
function readJsonRecord(o: Obj, source: string, t: Record<string, string>): FormatResult | null {
  if (o.Software === 'NovelAI' || (typeof o.Software === 'string' && typeof o.Comment === 'string' && /NovelAI/.test(o.Software))) {
    return readNovelAI(stringKeys(o), source);
  }
  if (isObject(o.sui_image_params)) return readSwarm(o, source);
  if (isObject(o.prompt)) return readComfy(o.prompt, source); // SaveImagePlus: {"prompt": {...}, "workflow": {...}}
  if (typeof o.prompt === 'string' && isObject(jsonOf(o.prompt))) {
    // ComfyUI's stealth payload: the PNG texts as JSON strings.
    const c = readComfy(jsonOf(o.prompt)!, source);
    if (c) return c;
  }
  if ('extraMetadata' in o) return readCivitaiComfy(o, civitaiExtraMetadata(o.extraMetadata), source);
  if (isFooocusJson(o, t['EXIF:MakerNote'] ?? t.fooocus_scheme)) return readFooocus(o, source);
  if (o.software === 'RuinedFooocus') return readRuinedFooocus(o, source);
  if (typeof o.software === 'string' && /^Fooocus\b/.test(o.software)) return readFooocusFork(o, source);
  if (isEasyDiffusion(o)) return readKeyValues(o, 'easydiffusion', source, { generator: 'Easy Diffusion' });
  if (isKohyaRecord(o)) return readKeyValues(o, 'kohya', source, { generator: 'kohya sd-scripts' });
  const graph = readComfy(o, source); // a bare API graph
  if (graph && !graph.problems?.length) return graph;
  if (isDiffusersRecord(o)) return readKeyValues(o, 'diffusers', source, { generator: 'diffusers' });
  return null;
}

/** Another program's A1111-style text, or A1111's own. */
function readInfotextLike(text: string, source: string, t: Record<string, string>): FormatResult {
  const fooocusScheme = t.fooocus_scheme ?? t['EXIF:MakerNote'];
  if (fooocusScheme === 'a1111' || /(^|,\s*)Version:\s*Fooocus/.test(text) || /^Fooocus/.test(t['EXIF:Software'] ?? '')) {
    return readFooocusA1111(text, source);
  }
  if (isCivitaiText(text)) return readCivitaiText(text, source);
  if (isComfyText(text)) return readA1111Like(text, source, 'comfyui', 'ComfyUI (A1111-style text)', 'comfyui');
  return readA1111(text, source);
}

/** Where a JSON record no known generator writes may be: the usual text keys first, then any text. */
function guessFromJson(t: Record<string, string>): FormatResult | null {
  const order = ['parameters', 'EXIF:UserComment', 'Comment', 'Description', 'XMP:exif:UserComment', 'XMP:dc:description', 'JPEG:Comment'];
  for (const k of [...order, ...Object.keys(t).filter((x) => !order.includes(x))]) {
    const o = jsonOf(t[k]);
    if (!isObject(o)) continue;
    const count = settingsFieldCount(o);
    if (count.prompt || count.settings >= 2) {
      const generator = ['software', 'generator', 'app', 'tool'].map((g) => o[g]).find((v) => typeof v === 'string');
      return readKeyValues(o, 'json', k, { generator: (generator as string | undefined) ?? null, guessed: true });
    }
  }
  return null;
}

/** C2PA's claim or an XMP IPTC mark saying the image was generated (DALL·E, Firefly, ...). */
function provenanceOf(t: Record<string, string>): FormatResult | null {
  const sourceType = t['C2PA:digitalSourceType'] ?? t['XMP:Iptc4xmpExt:DigitalSourceType'] ?? null;
  const c2pa = Object.keys(t).some((k) => k.startsWith('C2PA:'));
  if (!c2pa && !(sourceType && /trainedAlgorithmicMedia/i.test(sourceType))) return null;
  const details: Record<string, string> = {};
  for (const [k, v] of Object.entries(t)) if (k.startsWith('C2PA:')) details[k.slice(5)] = v;
  return readProvenance({
    generator: t['C2PA:softwareAgent'] ?? t['C2PA:claim_generator'] ?? t['XMP:xmp:CreatorTool'] ?? t['EXIF:Software'] ?? null,
    prompt: t['C2PA:prompt'] ?? null,
    sourceType: sourceType ? sourceType.replace(/^.*\//, '') : null,
    source: c2pa ? 'C2PA' : 'XMP:Iptc4xmpExt:DigitalSourceType',
    details,
  });
}

/** Decides the format from keyword → text (later entries win, as in PIL's `info`). */
export function detectFormat(t: Record<string, string>, image: ImageSize): FormatResult | null {
  // A payload hidden in the pixels (only looked for when nothing else gave settings).
  const stealth = Object.keys(t).find((k) => k.startsWith('stealth_'));
  if (stealth !== undefined) {
    const o = jsonOf(t[stealth]);
    return (isObject(o) ? readJsonRecord(o, stealth, t) : null) ?? readInfotextLike(t[stealth]!, stealth, t);
  }
  if (t.Software === 'NovelAI' && t.Comment !== undefined) return readNovelAI(t, 'Comment');
  const userComment = t['EXIF:UserComment'];
  const ucJson = jsonOf(userComment);
  if (isObject(ucJson)) {
    const r = readJsonRecord(ucJson, 'EXIF:UserComment', t);
    if (r) return r;
  }
  // StableSwarmUI put its JSON in the EXIF Model tag.
  const model = jsonOf(t['EXIF:Model']);
  if (isObject(model) && isObject(model.sui_image_params)) return readSwarm(model, 'EXIF:Model');

  const params = t.parameters;
  if (params !== undefined) {
    const p = jsonOf(params);
    if (isObject(p)) {
      const r = readJsonRecord(p, 'parameters', t);
      if (r) return r;
    } else return readInfotextLike(params, 'parameters', t);
  }
  // Fooocus-MRE (private_logger.log): its JSON record in a "Comment" text.
  const comment = jsonOf(t.Comment);
  if (isObject(comment)) {
    const r = readJsonRecord(comment, 'Comment', t);
    if (r) return r;
  }
  if (t.invokeai_metadata !== undefined) {
    const m = jsonOf(t.invokeai_metadata);
    if (isObject(m)) return readInvoke(m, 'invokeai_metadata');
  }
  if (t['sd-metadata'] !== undefined || t.Dream !== undefined) {
    const m = jsonOf(t['sd-metadata']);
    if (isObject(m) || t.Dream !== undefined) return readInvokeLegacy(isObject(m) ? m : null, t.Dream ?? null, 'sd-metadata');
  }
  if (t.generation_data !== undefined) {
    const g = jsonOf(t.generation_data);
    if (isObject(g)) return readTensorArt(g, jsonOf(t.prompt), 'generation_data');
  }
  if (t.extraMetadata !== undefined && t.prompt !== undefined) {
    const r = readCivitaiComfy(jsonOf(t.prompt) ?? null, civitaiExtraMetadata(t.extraMetadata), 'prompt');
    if (r) return r;
  }
  // A1111 JPEG/WebP: the infotext in UserComment (A1111 prefers it over "parameters").
  if (userComment !== undefined && userComment.trim() !== '' && ucJson === undefined) return readInfotextLike(userComment, 'EXIF:UserComment', t);
  const promptJson = jsonOf(t.prompt);
  if (promptJson !== undefined) {
    const c = readComfy(promptJson, 'prompt');
    if (c) return c;
  }
  const dtConfig = jsonOf(t['XMP:exif:UserComment']);
  if (/^Draw Things/.test(t['XMP:xmp:CreatorTool'] ?? '') && isObject(dtConfig)) return readDrawThings(dtConfig, 'XMP:exif:UserComment');
  // One text chunk per setting: Easy Diffusion, kohya's gen_img_diffusers.py, diffusers pipelines.
  const chunks = textChunks(t);
  if (isEasyDiffusion(chunks)) return readKeyValues(chunks, 'easydiffusion', 'prompt', { generator: 'Easy Diffusion' });
  if (isKohyaRecord(chunks)) {
    return readKeyValues(chunks, 'kohya', 'prompt', { generator: 'kohya sd-scripts', imageSize: image });
  }
  if (t.prompt !== undefined && isDiffusersRecord(chunks)) return readKeyValues(chunks, 'diffusers', 'prompt', { generator: 'diffusers', imageSize: image });
  for (const k of ['Description', 'XMP:dc:description', 'EXIF:ImageDescription']) {
    if (t[k] !== undefined && isMidjourneyText(t[k])) {
      const extra: Record<string, string> = {};
      for (const key of ['Author', 'Creation Time']) if (t[key] !== undefined) extra[key] = t[key];
      return readMidjourney(t[k], k, extra);
    }
  }
  // Infotexts in other places tools copy them to: XMP, a JPEG comment, a PNG Comment / Description.
  for (const k of ['XMP:exif:UserComment', 'XMP:dc:description', 'JPEG:Comment', 'Comment', 'Description', 'EXIF:ImageDescription']) {
    if (t[k] !== undefined && looksLikeInfotext(t[k])) return readInfotextLike(t[k], k, t);
  }
  return provenanceOf(t) ?? guessFromJson(t);
}
