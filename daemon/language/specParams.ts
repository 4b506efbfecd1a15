/**
 * A `.sdprompt` spec → `sd/img2img` params: the infotext read as A1111's paste reads it (daemon/infotext/pasteParams.ts),
 * plus the SD Studio keys (`@init`, `@mask`, `@resize-mode`, `@outdir`, `@style`) with paths made absolute against the file's
 * folder; `@xyz` lines make the spec an X/Y/Z plot (`specXyz`).
 */
import { isAbsolute, resolve } from 'node:path';
import { specInfotext, type ParsedSpec } from '../infotext/sdprompt';
import { paramsFromInfotext } from '../infotext/pasteParams';
import type { Img2ImgParams, ResizeMode, XyzAxisParams } from '../protocol';

export const RESIZE_MODES: Record<string, ResizeMode> = {
  'just-resize': 0, 'crop-and-resize': 1, 'resize-and-fill': 2, 'latent-upscale': 3, '0': 0, '1': 1, '2': 2, '3': 3,
};

/** A path written in the file, made absolute; null when it is relative and the file has no folder (unsaved). */
export function specPath(value: string, docDir: string | null): string | null {
  const v = value.trim();
  if (isAbsolute(v)) return v;
  return docDir === null ? null : resolve(docDir, v);
}

export const directive = (spec: ParsedSpec, key: string): string | undefined => spec.directives.find((d) => d.key === key)?.value;

export function specParams(spec: ParsedSpec, docDir: string | null): Img2ImgParams {
  const params: Img2ImgParams = spec.prompt === '' && spec.paramsLine === null && spec.negativePrompt === null
    ? {}
    : paramsFromInfotext(specInfotext(spec)).params;
  const init = directive(spec, 'init');
  if (init) {
    const p = specPath(init, docDir);
    if (p) params.init_images = [p];
  }
  const mask = directive(spec, 'mask');
  if (mask) {
    const p = specPath(mask, docDir);
    if (p) params.mask = p;
  }
  const mode = directive(spec, 'resize-mode');
  if (mode !== undefined && RESIZE_MODES[mode.trim()] !== undefined) params.resize_mode = RESIZE_MODES[mode.trim()];
  const outdir = directive(spec, 'outdir');
  if (outdir) {
    const p = specPath(outdir, docDir);
    if (p) params.outdir = p;
  }
  const styles = spec.directives.filter((d) => d.key === 'style' && d.value.trim()).map((d) => d.value.trim());
  if (styles.length) params.styles = styles;
  return params;
}

/** One `@xyz: Type: values` line → an axis; null when it has no "Type:" part. */
export function xyzAxisOf(value: string): XyzAxisParams | null {
  const colon = value.indexOf(':');
  return colon < 0 ? null : { type: value.slice(0, colon).trim(), values: value.slice(colon + 1).trim() };
}

/** A spec's `@xyz` lines, in order X, Y, Z; undefined when it has none (an ordinary generation). */
export function specXyz(spec: ParsedSpec): { x?: XyzAxisParams; y?: XyzAxisParams; z?: XyzAxisParams } | undefined {
  const axes = spec.directives.filter((d) => d.key === 'xyz').map((d) => xyzAxisOf(d.value)).filter((a): a is XyzAxisParams => a !== null);
  if (axes.length === 0) return undefined;
  const [x, y, z] = axes;
  return { ...(x ? { x } : {}), ...(y ? { y } : {}), ...(z ? { z } : {}) };
}
