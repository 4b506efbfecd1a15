import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeNewFileSync } from '../../models/formats/atomicFile';
import { applyFilenamePattern, nextSequenceNumber, type FilenameContext } from './filenames';

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
 * A1111's `save_image` layout: `<root>/<tab>/<date>/<NNNNN>-<pattern><suffix>.<ext>`, pattern `[seed]` by default
 * (with the date folder) or `[seed]-[prompt_spaces]` without it; grids `<basename>-<NNNN>.<ext>`. Tries successive
 * numbers until a free name is found (for the sidecar too): nothing is ever written over an existing file.
 */
export function saveImage(target: SaveTarget, ctx: FilenameContext, bytes: Uint8Array, ext = 'png', naming: SaveNaming = {}): string {
  const sub = target.directoryPattern ? applyFilenamePattern(target.directoryPattern, ctx).replace(/^ +/, '').replace(/[\\/ ]+$/, '') : '';
  const dir = join(target.root, target.tab, sub);
  mkdirSync(dir, { recursive: true });
  const basename = naming.basename ?? '';
  const pattern = naming.short ? '' : target.filenamePattern || (target.directoryPattern ? '[seed]' : '[seed]-[prompt_spaces]');
  const decoration = applyFilenamePattern(pattern, { ...ctx, basename }) + (naming.suffix ?? '');
  const start = nextSequenceNumber(readdirSync(dir), basename);
  for (let n = start; n < start + 500; n++) {
    const number = basename ? `${basename}-${String(n).padStart(4, '0')}` : String(n).padStart(5, '0');
    // Keep the name within common filesystem limits (255 bytes), as A1111 truncates to f_namemax.
    const stem = `${number}${decoration ? `-${decoration}` : ''}`.slice(0, 250 - Math.max(4, ext.length + 1));
    const path = join(dir, `${stem}.${ext}`);
    const txt = join(dir, `${stem}.txt`);
    if (naming.sidecar !== undefined && existsSync(txt)) continue;
    if (!writeNewFileSync(path, bytes)) continue;
    if (naming.sidecar !== undefined) writeNewFileSync(txt, Buffer.from(`${naming.sidecar}\n`, 'utf8'));
    return path;
  }
  throw new Error(`no free file name in ${dir} after 500 tries`);
}
