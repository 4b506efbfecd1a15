// Checks made before a job's work starts, so that a missing or read-only output folder, or an output file that
// would be replaced, is reported at once instead of after minutes of work.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { OutputExistsError } from './atomicFile';

/** The output's folder is missing or cannot be written: found before any work starts. */
export class OutputFolderError extends Error {
  override name = 'OutputFolderError';
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`${path}: ${why}`);
  }
}

/**
 * Checks that `dir` can receive new files: it exists as a folder and is writable, or (when it does not exist yet)
 * its nearest existing ancestor is — so a job fails before its work, not after it.
 */
export async function checkWritableFolder(dir: string): Promise<void> {
  let d = resolve(dir);
  for (;;) {
    const st = await stat(d).catch(() => undefined);
    if (st) {
      if (!st.isDirectory()) throw new OutputFolderError(dir, d === resolve(dir) ? 'not a folder' : `cannot be created: ${d} is not a folder`);
      await access(d, constants.W_OK | constants.X_OK).catch((e: NodeJS.ErrnoException) => {
        throw new OutputFolderError(dir, `output folder is not writable (${e.code ?? e.message}${d === resolve(dir) ? '' : ` at ${d}`})`);
      });
      return;
    }
    const up = dirname(d);
    if (up === d) throw new OutputFolderError(dir, 'no existing folder to create it in');
    d = up;
  }
}

/** Before any work: the folder can take the file, and the file is not there unless it may be replaced. */
export async function checkOutputFile(path: string, overwrite: boolean): Promise<void> {
  await checkWritableFolder(dirname(path));
  if (!overwrite && (await stat(path).then(() => true, () => false))) throw new OutputExistsError(path);
}
