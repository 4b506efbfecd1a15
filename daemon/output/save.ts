import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeNewFileSync } from '../../models/formats/atomicFile';
import { applyFilenamePattern, nextSequenceNumber, type FilenameContext } from './filenames';

export interface SaveTarget {
  /** Output root, e.g. `<outdir>`; the tab folder (`img2img-images`) and date subfolder go below it. */
  root: string;
  tab: 'img2img-images' | 'txt2img-images' | 'extras-images';
  directoryPattern: string;
  filenamePattern: string;
}

/**
 * A1111's layout: `<root>/<tab>/<date>/<NNNNN>-<pattern>.png`, pattern `[seed]` by default (with the date folder)
 * or `[seed]-[prompt_spaces]` without it. Tries successive numbers until a free name is found.
 */
export function saveImage(target: SaveTarget, ctx: FilenameContext, bytes: Uint8Array, ext = 'png'): string {
  const sub = target.directoryPattern ? applyFilenamePattern(target.directoryPattern, ctx) : '';
  const dir = join(target.root, target.tab, sub);
  mkdirSync(dir, { recursive: true });
  const pattern = target.filenamePattern || (target.directoryPattern ? '[seed]' : '[seed]-[prompt_spaces]');
  const stem = applyFilenamePattern(pattern, ctx);
  const start = nextSequenceNumber(readdirSync(dir));
  for (let n = start; n < start + 500; n++) {
    // Keep the name within common filesystem limits (255 bytes), as A1111 truncates to f_namemax.
    const name = `${String(n).padStart(5, '0')}${stem ? `-${stem}` : ''}`.slice(0, 250 - ext.length);
    const path = join(dir, `${name}.${ext}`);
    if (writeNewFileSync(path, bytes)) return path;
  }
  throw new Error(`no free file name in ${dir} after 500 tries`);
}
