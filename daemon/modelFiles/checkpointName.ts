// A checkpoint named the way A1111 names one in infotexts and scripts ("Hires checkpoint", the X/Y/Z plot's
// "Checkpoint name"): a path, a file name with or without its extension, or a title with the short hash
// ("dreamshaper_8 [879db523c3]"), looked up in the models root's Stable-diffusion folder.
import { existsSync } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { describeFolder, filesInFolder, findModelFile, modelFolders } from '../../models/registry';
import { invalidParam } from '../errors';

/** The model path for `name`; throws InvalidParams naming `field` when nothing matches. */
export function resolveCheckpointName(name: string, modelsRoot: string, field: string): string {
  const title = name.trim().replace(/\s*\[[0-9a-fA-F]{8,64}\]$/, '');
  if (isAbsolute(title) || existsSync(title)) {
    const path = resolve(title);
    if (existsSync(path)) return path;
  }
  if (modelsRoot) {
    const stem = basename(title, extname(title));
    const file = findModelFile(modelsRoot, 'checkpoint', stem);
    if (file) return file;
    for (const dir of modelFolders(modelsRoot, 'checkpoint')) if (existsSync(join(dir, title, 'model_index.json'))) return join(dir, title);
  }
  throw invalidParam(field, `checkpoint "${name}" not found${modelsRoot ? ` in ${describeFolder(modelsRoot, 'checkpoint')}` : ' (no models root set, and it is not a path)'}`, 'a model folder, a checkpoint file or a checkpoint name');
}

/** A1111's `short_title` of a model for infotexts: its name, with the short hash when known. */
export const checkpointTitle = (name: string, hash: string | undefined): string => (hash ? `${name} [${hash}]` : name);

/** Every checkpoint file under the models root, titled by its path in the folder (the Refiner choices). */
export function listCheckpointTitles(modelsRoot: string): string[] {
  const out: string[] = [];
  for (const dir of modelFolders(modelsRoot, 'checkpoint')) for (const f of filesInFolder(dir, 'checkpoint')) out.push(f.path.slice(dir.length + 1));
  return out;
}
