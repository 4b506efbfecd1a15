import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { applyFilenamePattern, nextSequenceNumber, type FilenameContext } from './filenames';

/**
 * Write bytes to a new file atomically and never over an existing one: write a temp file, then hard-link it
 * to the final name (link fails if the name exists), then drop the temp. Returns false if the name was taken.
 */
export function writeNewFileAtomic(path: string, bytes: Uint8Array): boolean {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, bytes);
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    if ((e as NodeJS.ErrnoException).code === 'EPERM' || (e as NodeJS.ErrnoException).code === 'ENOTSUP') {
      // Filesystems without hard links: rename is still atomic; the name was checked free just before.
      renameSync(tmp, path);
      return true;
    }
    throw e;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed
    }
  }
}

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
    if (writeNewFileAtomic(path, bytes)) return path;
  }
  throw new Error(`no free file name in ${dir} after 500 tries`);
}
