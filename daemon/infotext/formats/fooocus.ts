// Fooocus and its forks (modules/meta_parser.py, private_logger.py). Fooocus writes one of two schemes, named by
// the PNG text "fooocus_scheme" (JPEG/WebP: EXIF MakerNote, with the record in an IFD0 UserComment and
// Software "Fooocus v…"): "fooocus", a sorted JSON record with the seed as a string (64-bit); "a1111", an
// A1111-style text with Fooocus' own keys (Scheduler, Raw prompt, Performance, ...). Samplers are ComfyUI ids
// (dpmpp_2m_sde_gpu). RuinedFooocus writes a flat JSON record with "software": "RuinedFooocus"; Fooocus-MRE one
// in a PNG "Comment" with "software": "Fooocus <version> MRE".

import { findParams } from '../a1111';
import { emptyResult, int, num, seedOf, str, type FormatResult } from '../generationInfo';
import { pyJsonLoadsString, pyStrip } from '../python';
import type { JsonValue } from '../json';
import { readA1111Like } from './a1111Like';
import { readKeyValues } from './keyValue';

type Obj = { [key: string]: JsonValue };

/** The "fooocus" JSON scheme. */
export function readFooocus(p: Obj, source: string): FormatResult {
  const r = emptyResult('fooocus', source);
  r.generator = str(p.version) ?? 'Fooocus';
  r.prompt = str(p.prompt);
  r.negativePrompt = str(p.negative_prompt);
  r.steps = int(p.steps);
  r.sampler = str(p.sampler);
  r.scheduleType = str(p.scheduler);
  r.cfgScale = num(p.guidance_scale);
  r.seed = seedOf(p.seed, true);
  const res = /^\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(str(p.resolution) ?? '');
  if (res) {
    r.width = Number(res[1]);
    r.height = Number(res[2]);
  }
  r.model = str(p.base_model);
  r.modelHash = str(p.base_model_hash);
  r.denoisingStrength = num(p.denoising_strength);
  r.parameters = { ...p };
  return r;
}

/**
 * The "a1111" scheme: `A1111MetadataParser.parse_string`. The prompt lines are the full prompt Fooocus encoded
 * (styles and its prompt expansion applied); `prompt` is the one typed ("Raw prompt"), as Fooocus reads it back.
 */
export function readFooocusA1111(text: string, source: string): FormatResult {
  const r = readA1111Like(text, source, 'fooocus', 'Fooocus', 'comfyui');
  if (typeof r.parameters.Version === 'string') r.generator = r.parameters.Version;
  // Read as Fooocus reads them: an empty "Raw negative prompt: " is an empty prompt (A1111's parse drops it).
  const pairs = new Map(findParams(pyStrip(text).split('\n').pop()!));
  const raw = (k: string): string | undefined => {
    const v = pairs.get(k);
    return v === undefined ? undefined : v.startsWith('"') && v.endsWith('"') && v.length > 1 ? pyJsonLoadsString(v) ?? v : v;
  };
  r.prompt = raw('Raw prompt') ?? r.prompt;
  r.negativePrompt = raw('Raw negative prompt') ?? r.negativePrompt;
  return r;
}

/** RuinedFooocus' record (Prompt, Negative, cfg, sampler_name, scheduler, base_model_name, ...). */
export function readRuinedFooocus(p: Obj, source: string): FormatResult {
  return readKeyValues(p, 'fooocus', source, { generator: 'RuinedFooocus' });
}

/** Fooocus-MRE's flat record (prompt, negative_prompt, cfg, sampler, scheduler, base_model, "software": "Fooocus 2.0.93 MRE"). */
export function readFooocusFork(p: Obj, source: string): FormatResult {
  return readKeyValues(p, 'fooocus', source, { generator: str(p.software) ?? 'Fooocus' });
}

/** Is this JSON record Fooocus' own scheme? */
export const isFooocusJson = (p: Obj, scheme: string | undefined): boolean =>
  scheme === 'fooocus' || p.metadata_scheme === 'fooocus' || 'full_prompt' in p;
