// A1111-style text written by other programs (Fooocus' "a1111" scheme, ComfyUI save nodes, Civitai, TensorArt):
// the same layout, but with their own spellings A1111's paste does not understand. Before the A1111 parser sees
// it, the parameter line is made A1111's: unquoted JSON values ("Hashes: {...}", "Civitai resources: [...]") are
// taken out whole (A1111's re_param would cut them at their first comma) and kept parsed; other spellings of
// A1111 keys ("CFG Scale", "cfg", "Scheduler") get A1111's; sampler and schedule names become A1111's through
// the writer's family table. The text as stored stays in `raw`.

import { findParams, quote } from '../a1111';
import type { FormatResult, InfoFormat } from '../generationInfo';
import { isObject, tryParseJson, type JsonValue } from '../json';
import { META_LIMITS } from '../limits';
import { pyJsonLoadsString, pyStrip } from '../python';
import { a1111Names, type NameFamily } from '../samplerNames';
import { readA1111 } from './a1111Format';

/** Other writers' names for A1111 keys. */
const KEY_ALIASES: Readonly<Record<string, string>> = {
  'cfg scale': 'CFG scale', cfg: 'CFG scale', 'guidance scale': 'CFG scale', 'cfgscale': 'CFG scale',
  scheduler: 'Schedule type', 'schedule type': 'Schedule type', 'clip skip': 'Clip skip', 'model hash': 'Model hash',
  'denoising strength': 'Denoising strength', 'sampler': 'Sampler', 'seed': 'Seed', 'steps': 'Steps', 'size': 'Size',
  'model': 'Model',
};

export interface NormalizedText {
  /** The text with an A1111 parameter line. */
  text: string;
  /** The JSON values taken out of the line, parsed, by key. */
  json: Record<string, JsonValue>;
  /** Sampler / schedule names with no A1111 equivalent (left out of the text). */
  unmapped: string[];
  /** The sampler and schedule as written. */
  sampler: string | null;
  schedule: string | null;
}

/** End of the JSON value starting at `start` ('[' or '{'), honouring strings; -1 when it does not close. */
function jsonEnd(line: string, start: number): number {
  let depth = 0;
  for (let i = start; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      for (i++; i < line.length && line[i] !== '"'; i++) if (line[i] === '\\') i++;
    } else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Takes `Key: [...]` / `Key: {...}` values out of a parameter line. Linear: the search resumes after each
 * bracketed value, JSON or not (a key inside one is not a parameter), and stops at the first that never closes.
 */
function takeJsonValues(line: string): { rest: string; json: Record<string, JsonValue> } {
  const json: Record<string, JsonValue> = {};
  const key = /(?:^|,\s*)([\p{L}\p{N}_][\p{L}\p{N}_ \-/]*):\s*(?=[[{])/gu;
  let rest = '';
  let last = 0;
  for (let m = key.exec(line); m; m = key.exec(line)) {
    const start = m.index + m[0].length;
    const end = jsonEnd(line, start);
    if (end < 0) break;
    key.lastIndex = end;
    const value = tryParseJson(line.slice(start, end));
    if (value === undefined) continue;
    json[m[1]!] = value;
    rest += line.slice(last, m.index);
    last = end;
  }
  rest += line.slice(last);
  return { rest: rest.replace(/^\s*,\s*/, ''), json };
}

const unquote = (v: string): string => (v.length > 1 && v.startsWith('"') && v.endsWith('"') ? pyJsonLoadsString(v) ?? v : v);

export function normalizeA1111Like(text: string, family: NameFamily): NormalizedText {
  const lines = pyStrip(text).split('\n');
  const { rest, json } = takeJsonValues(lines[lines.length - 1]!);
  const pairs = findParams(rest);
  if (pairs.length + Object.keys(json).length < 3) return { text, json: {}, unmapped: [], sampler: null, schedule: null };
  const params = new Map<string, string>();
  for (const [k, v] of pairs) params.set(KEY_ALIASES[k.toLowerCase()] ?? k, v);
  const sampler = params.has('Sampler') ? unquote(params.get('Sampler')!) : null;
  const schedule = params.has('Schedule type') ? unquote(params.get('Schedule type')!) : null;
  const names = a1111Names(family, sampler, schedule);
  if (sampler !== null) {
    if (names.sampler_name) params.set('Sampler', quote(names.sampler_name));
    else params.delete('Sampler');
  }
  if (names.scheduler) {
    if (!params.has('Schedule type') && params.has('Sampler')) {
      // A1111 writes Schedule type right after Sampler.
      const entries = [...params];
      const at = entries.findIndex(([k]) => k === 'Sampler') + 1;
      entries.splice(at, 0, ['Schedule type', quote(names.scheduler)]);
      params.clear();
      for (const [k, v] of entries) params.set(k, v);
    } else params.set('Schedule type', quote(names.scheduler));
  } else if (schedule !== null) params.delete('Schedule type');
  const line = [...params].map(([k, v]) => `${k}: ${v}`).join(', ');
  return { text: [...lines.slice(0, -1), line].join('\n'), json, unmapped: names.unmapped, sampler, schedule };
}

/**
 * Another writer's A1111-style text as a FormatResult: settings from the normalized text (A1111's own parse),
 * the sampler and schedule as written, the JSON values in `parameters`, `infotext` the normalized text.
 */
export function readA1111Like(text: string, source: string, format: InfoFormat, generator: string, family: NameFamily): FormatResult {
  // Past the infotext bound A1111's parser refuses it (with a problem saying so): nothing to normalize.
  const n: Omit<NormalizedText, 'unmapped'> = text.length > META_LIMITS.maxInfotext ? { text, json: {}, sampler: null, schedule: null } : normalizeA1111Like(text, family);
  const r = readA1111(n.text, source);
  r.format = format;
  r.generator = generator;
  if (n.sampler !== null) r.sampler = n.sampler;
  r.scheduleType = n.schedule;
  r.parameters = { ...r.parameters, ...n.json };
  const hashes = n.json.Hashes;
  if (r.modelHash === null && isObject(hashes) && typeof hashes.model === 'string') r.modelHash = hashes.model;
  return r;
}

/** Does a text look like an A1111-style infotext once its JSON values are taken out? */
export function looksA1111Like(text: string): boolean {
  const lines = pyStrip(text).split('\n');
  const { rest, json } = takeJsonValues(lines[lines.length - 1]!);
  return findParams(rest).length + Object.keys(json).length >= 3;
}
