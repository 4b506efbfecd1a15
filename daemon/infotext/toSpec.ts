// GenerationInfo → a `.sdprompt` spec: the image's own infotext when it has one (printed back verbatim),
// otherwise an A1111 infotext built from the settings another generator stored.

import { buildInfotext, parseGenerationParameters, type InfotextValue } from './a1111';
import type { GenerationInfo } from './generationInfo';
import { specFromInfotext, type Directive, type SpecData } from './sdprompt';
import { a1111SamplerOf, unmappedNamesWarning } from './sendTo';
import { paramsFromInfotext } from './pasteParams';

/** The A1111 infotext for an image's settings (its own text when it carries one). */
export function infotextOf(info: GenerationInfo): string | null {
  if (info.infotext !== null) return info.infotext;
  if (info.format === 'none') return null;
  const { sampler_name, scheduler } = a1111SamplerOf(info);
  const params: Array<[string, InfotextValue]> = [
    ['Steps', info.steps], ['Sampler', sampler_name], ['Schedule type', scheduler], ['CFG scale', info.cfgScale],
    ['Seed', info.seed === null ? null : String(info.seed)],
    ['Size', info.width !== null && info.height !== null ? `${info.width}x${info.height}` : null],
    ['Model hash', info.modelHash], ['Model', info.model],
    ['Denoising strength', info.denoisingStrength !== null && info.denoisingStrength < 1 ? info.denoisingStrength : null],
  ];
  return buildInfotext(info.prompt ?? '', info.negativePrompt ?? '', params);
}

/**
 * Whether the image came from img2img: A1111 writes "Denoising strength" for img2img always and for txt2img only
 * with Hires. fix (then with its "Hires …" keys); other generators store a denoise below 1 for img2img.
 */
export function madeByImg2Img(info: GenerationInfo): boolean {
  if (info.infotext !== null) {
    const f = parseGenerationParameters(info.infotext).fields;
    const hires = Object.entries(f).some(([k, v]) => /^(Hires (upscale|steps|upscaler)|First pass size)/.test(k) || (/^Hires resize-[12]$/.test(k) && v !== '0'));
    return f['Denoising strength'] !== undefined && !hires;
  }
  return info.denoisingStrength !== null && info.denoisingStrength < 1;
}

/**
 * The `.sdprompt` spec that reproduces an image: its settings, and for an img2img image `@init` pointing at the
 * source given (`initPath`); a txt2img image becomes a txt2img spec (its own file is not its source).
 */
export function specFromImage(info: GenerationInfo, initPath: string): SpecData | null {
  return specFromInfo(info, madeByImg2Img(info) ? [{ key: 'init', value: initPath }] : []);
}

export function specFromInfo(info: GenerationInfo, directives: Directive[] = []): SpecData | null {
  const text = infotextOf(info);
  if (text === null) return null;
  const comments = info.format === 'a1111' ? [] : info.guessed
    ? [` settings GUESSED from JSON no known generator writes (${info.source}): check them`]
    : [` settings read from ${info.generator ?? info.format} metadata (${info.source})`];
  return specFromInfotext(text, directives, comments);
}

/**
 * The warning naming settings of an image's infotext that SD Studio cannot apply yet, and sampler names with no
 * A1111 equivalent, or null.
 */
export function infotextWarning(info: GenerationInfo): string | null {
  const text = infotextOf(info);
  const warnings = [text === null ? null : paramsFromInfotext(text).warning, unmappedNamesWarning(info)].filter((w) => w !== null);
  return warnings.length ? warnings.join('; ') : null;
}
