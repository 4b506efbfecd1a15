// Metadata texts → GenerationInfo: the format's reader (detect.ts decides which generator wrote the texts), with
// every text kept raw and every problem listed.

import { detectFormat } from './detect';
import { emptyResult, type FormatResult, type GenerationInfo } from './generationInfo';
import type { ImageMeta } from './imageMeta';

export function interpretMetadata(meta: ImageMeta): GenerationInfo {
  const raw: Record<string, string> = {};
  const problems = [...meta.problems];
  for (const e of meta.entries) {
    raw[e.keyword] = e.text;
    if (e.problem) problems.push(`${e.keyword}: ${e.problem}`);
  }
  let found: FormatResult | null = null;
  try {
    found = detectFormat(raw, { width: meta.width, height: meta.height });
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
  const { problems: formatProblems, infotext, guessed, ...rest } = r;
  if (formatProblems) problems.push(...formatProblems);
  return { ...rest, guessed: guessed ?? false, infotext: infotext ?? null, raw, problems };
}
