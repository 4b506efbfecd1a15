import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findTokenizerDir } from '../../models/onnxFolderFiles';
import { modelError, notFound } from '../errors';
import type { DaemonSettings, PromptInspectParams } from '../protocol';

const hasTokenizerFiles = (dir: string): boolean => existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'));

/**
 * Where the CLIP tokenizer comes from, in order: the request's model folder (its `tokenizer/`; an error if it
 * has none, since it was asked for), env SD_STUDIO_TOKENIZER (a folder with vocab.json + merges.txt; tests use
 * the shared fixture), the configured model's `tokenizer/`, else the Hugging Face cache's or the CLIP tokenizer
 * SD Studio ships (SD 1.x and 2.x share it; single-file checkpoints bring none).
 */
export function resolveTokenizerDir(params: PromptInspectParams, settings: DaemonSettings): string | null {
  if (params.model) {
    const model = resolve(params.model);
    if (!existsSync(model)) throw notFound(model, 'model folder');
    if (statSync(model).isFile()) return anyTokenizerDir(); // a single-file checkpoint carries no tokenizer
    const dir = join(model, 'tokenizer');
    if (!hasTokenizerFiles(dir)) throw modelError(model, 'has no tokenizer/vocab.json + tokenizer/merges.txt', 'a diffusers model folder');
    return dir;
  }
  const env = process.env.SD_STUDIO_TOKENIZER;
  if (env && hasTokenizerFiles(resolve(env))) return resolve(env);
  if (settings.model && hasTokenizerFiles(join(settings.model, 'tokenizer'))) return join(resolve(settings.model), 'tokenizer');
  return anyTokenizerDir();
}

/** The Hugging Face cache's CLIP tokenizer, else the bundled one; null only when the cache cannot be written. */
function anyTokenizerDir(): string | null {
  try {
    return findTokenizerDir();
  } catch {
    return null; // the inspector still parses, without token counts
  }
}
