// A1111 / Forge / SD.Next "parameters" text → GenerationInfo. Settings come from parseGenerationParameters
// (A1111's own parse, defaults and quirks included); the prompts are shown verbatim (A1111 strips every
// line, which loses indentation a person typed), only outer whitespace trimmed.

import { findParams, parseGenerationParameters } from '../a1111';
import { emptyResult, int, num, seedOf, type FormatResult } from '../generationInfo';
import { META_LIMITS } from '../limits';
import { pyStrip } from '../python';

/** Prompt and negative prompt as written: the same line split as A1111, without per-line stripping. */
export function splitInfotextVerbatim(text: string): { prompt: string; negativePrompt: string | null } {
  const lines = pyStrip(text).split('\n');
  if (findParams(lines[lines.length - 1]!).length >= 3) lines.pop();
  const neg = lines.findIndex((l) => pyStrip(l).startsWith('Negative prompt:'));
  if (neg < 0) return { prompt: pyStrip(lines.join('\n')), negativePrompt: null };
  const first = pyStrip(lines[neg]!).slice(16);
  return {
    prompt: pyStrip(lines.slice(0, neg).join('\n')),
    negativePrompt: pyStrip([first, ...lines.slice(neg + 1)].join('\n')),
  };
}

function generatorOf(fields: Record<string, string>): string {
  if (fields.App) return fields.App; // SD.Next writes "App: SD.Next"
  const v = fields.Version ?? '';
  if (/^f\d/.test(v)) return 'Forge';
  if (v === 'neo') return 'Forge Neo';
  return 'A1111';
}

export function readA1111(text: string, source: string): FormatResult {
  if (text.length > META_LIMITS.maxInfotext) {
    const r = emptyResult('a1111', source);
    r.problems = [`${source}: the infotext is ${text.length} characters, over the ${META_LIMITS.maxInfotext} an infotext may have: not parsed`];
    return r;
  }
  const parsed = parseGenerationParameters(text);
  const f = parsed.fields;
  const verbatim = splitInfotextVerbatim(text);
  const r = emptyResult('a1111', source);
  r.generator = generatorOf(f);
  r.prompt = verbatim.prompt;
  r.negativePrompt = verbatim.negativePrompt;
  r.steps = int(f.Steps);
  r.sampler = f.Sampler ?? null;
  r.scheduleType = f['Schedule type'] ?? null;
  r.cfgScale = num(f['CFG scale']);
  r.seed = seedOf(f.Seed);
  r.width = int(f['Size-1']);
  r.height = int(f['Size-2']);
  r.modelHash = f['Model hash'] ?? null;
  r.model = f.Model ?? null;
  r.denoisingStrength = num(f['Denoising strength']);
  r.parameters = { ...f };
  r.infotext = text;
  return r;
}

/** Does this text look like an A1111 infotext (a last line with ≥3 "key: value" pairs)? */
export function looksLikeInfotext(text: string): boolean {
  const lines = pyStrip(text).split('\n');
  return findParams(lines[lines.length - 1]!).length >= 3;
}
