// Generators that record where an image came from, not how: Midjourney (PNG "Description" = the prompt with its
// --parameters and "Job ID: <uuid>", "Author"; XMP dc:description in JPEG/WebP) and C2PA manifests or IPTC XMP
// marks (DALL·E/ChatGPT, Adobe Firefly, ...: the generator, and the prompt where one is recorded). There are no
// settings to read: only the prompt and the generator are reported.

import { emptyResult, type FormatResult } from '../generationInfo';
import type { JsonValue } from '../json';

const JOB_ID = /\s*Job ID:\s*([0-9a-f-]{36})\s*$/i;

/** Does this text end with Midjourney's "Job ID: <uuid>"? */
export const isMidjourneyText = (text: string): boolean => JOB_ID.test(text);

/** Midjourney's "prompt --ar 2:1 --v 6 Job ID: …": the prompt, and the --parameters by name. */
export function readMidjourney(text: string, source: string, extra: Record<string, string>): FormatResult {
  const r = emptyResult('midjourney', source);
  r.generator = 'Midjourney';
  const job = JOB_ID.exec(text);
  const body = job ? text.slice(0, job.index) : text;
  const flag = body.search(/(^|\s)--[a-z]/i);
  r.prompt = (flag < 0 ? body : body.slice(0, flag)).trim();
  const params: { [key: string]: JsonValue } = { Description: text };
  if (job) params['Job ID'] = job[1]!;
  if (flag >= 0) {
    for (const part of body.slice(flag).split(/(?:^|\s)--/)) {
      const [name, ...value] = part.trim().split(/\s+/);
      if (name) params[`--${name}`] = value.join(' ') || 'true';
    }
  }
  Object.assign(params, extra);
  r.parameters = params;
  return r;
}

export interface ProvenanceMarks {
  /** C2PA claim_generator (or claim_generator_info name), the action's softwareAgent, XMP CreatorTool, ... */
  generator: string | null;
  prompt: string | null;
  /** IPTC digital source type ("trainedAlgorithmicMedia"), from C2PA or XMP. */
  sourceType: string | null;
  source: string;
  details: Record<string, string>;
}

export function readProvenance(m: ProvenanceMarks): FormatResult {
  const r = emptyResult('provenance', m.source);
  r.generator = m.generator;
  r.prompt = m.prompt;
  r.parameters = { ...m.details, ...(m.sourceType ? { 'Digital source type': m.sourceType } : {}) };
  return r;
}
