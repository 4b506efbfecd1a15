// The demo's built-in tiny model in the cache folder, named by the SHA-256 of its files: built fresh on each run (a
// tenth of a second), so a changed builder can never be answered by a stale folder, and an unchanged one reuses
// the folder (and the daemon's hashes and sessions keyed by its path).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempPathFor } from '../../models/formats/atomicFile';
import { writeTinySdModel } from '../../models/testModel/tinySd';

/** SHA-256 over a folder's files: each relative path and its bytes, in sorted order. */
async function folderDigest(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const entries = (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path);
      else {
        const bytes = await readFile(join(dir, path));
        h.update(`${path}\0${bytes.length}\0`).update(bytes);
      }
    }
  };
  await walk('');
  return h.digest('hex');
}

/** `<cacheRoot>/tiny-sd-<content hash>`, built if missing; a complete folder appears in one rename. */
export async function cachedTinyModel(cacheRoot: string): Promise<string> {
  await mkdir(cacheRoot, { recursive: true });
  const staging = tempPathFor(join(cacheRoot, 'tiny-sd'));
  try {
    await writeTinySdModel(staging);
    const dir = join(cacheRoot, `tiny-sd-${(await folderDigest(staging)).slice(0, 12)}`);
    if (!existsSync(join(dir, 'model_index.json'))) {
      // Another demo may have renamed the same content into place first: theirs is as good as ours.
      await rename(staging, dir).catch((e: unknown) => {
        if (!existsSync(join(dir, 'model_index.json'))) throw e;
      });
    }
    return dir;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
