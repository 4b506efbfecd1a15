import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { NAME_MAX_BYTES, fitUtf8, writeNewFileSync } from '../../models/formats/atomicFile';
import { applyFilenamePattern, nextSequenceNumber, replaceForbidden, sanitizeFilenamePart, type FilenameContext } from './filenames';

export interface SaveTarget {
  /** Output root, e.g. `<outdir>`; the tab folder (`img2img-images`) and date subfolder go below it. */
  root: string;
  tab: 'img2img-images' | 'txt2img-images' | 'extras-images' | 'img2img-grids' | 'txt2img-grids';
  directoryPattern: string;
  filenamePattern: string;
}

export interface SaveNaming {
  /** "grid", "xyz_grid", "prompt_matrix": names become `<basename>-NNNN…` (four digits). */
  basename?: string;
  /** After the pattern, e.g. "-before-highres-fix". */
  suffix?: string;
  /** A1111 `short_filename` (grids): no pattern, only the number. */
  short?: boolean;
  /** A1111 `save_txt`: this text (plus "\n") in `<same name>.txt` beside the image. */
  sidecar?: string;
}

/**
 * A pattern's result as a path below the output folder: each segment sanitized as A1111 sanitizes substituted
 * values (the pattern's literal text too), and `.`, `..` and empty segments dropped, so `/../../x` stays inside.
 */
export function patternSubfolder(text: string): string {
  return text.split(/[\\/]+/).map(sanitizeFilenamePart).filter((s) => s !== '' && s !== '.' && s !== '..').join(sep);
}

/**
 * A1111's `save_image` layout: `<root>/<tab>/<date>/<NNNNN>-<pattern><suffix>.<ext>`, pattern `[seed]` by default
 * (with the date folder) or `[seed]-[prompt_spaces]` without it; grids `<basename>-<NNNN>.<ext>`. Tries successive
 * numbers until a free name is found (for the sidecar too): nothing is ever written over an existing file. Patterns
 * never lead outside `<root>/<tab>`: the directory pattern may make subfolders, the file name pattern only a name.
 */
export function saveImage(target: SaveTarget, ctx: FilenameContext, bytes: Uint8Array, ext = 'png', naming: SaveNaming = {}): string {
  const base = resolve(target.root, target.tab);
  const sub = target.directoryPattern ? patternSubfolder(applyFilenamePattern(target.directoryPattern, ctx)) : '';
  const dir = resolve(base, sub);
  if (dir !== base && !dir.startsWith(base + sep)) throw new Error(`directory pattern "${target.directoryPattern}" leads outside ${base}`);
  mkdirSync(dir, { recursive: true });
  const basename = naming.basename ?? '';
  const pattern = naming.short ? '' : target.filenamePattern || (target.directoryPattern ? '[seed]' : '[seed]-[prompt_spaces]');
  // Substituted values are sanitized by the pattern; its literal text is made one file name here.
  const decoration = replaceForbidden(applyFilenamePattern(pattern, { ...ctx, basename }) + (naming.suffix ?? ''));
  const start = nextSequenceNumber(readdirSync(dir), basename);
  for (let n = start; n < start + 500; n++) {
    const number = basename ? `${basename}-${String(n).padStart(4, '0')}` : String(n).padStart(5, '0');
    // Within the file-name limit in bytes (A1111 truncates to f_namemax) for the image and its .txt sidecar; the temp
    // name makes room for itself.
    const stem = fitUtf8(`${number}${decoration ? `-${decoration}` : ''}`, NAME_MAX_BYTES - 1 - Math.max(3, ext.length));
    const path = join(dir, `${stem}.${ext}`);
    const txt = join(dir, `${stem}.txt`);
    if (naming.sidecar !== undefined && existsSync(txt)) continue;
    if (!writeNewFileSync(path, bytes)) continue;
    if (naming.sidecar !== undefined) writeNewFileSync(txt, Buffer.from(`${naming.sidecar}\n`, 'utf8'));
    return path;
  }
  throw new Error(`no free file name in ${dir} after 500 tries`);
}
