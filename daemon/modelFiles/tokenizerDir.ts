import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { modelError, notFound } from '../errors';
import type { DaemonSettings, PromptInspectParams } from '../protocol';

const hasTokenizerFiles = (dir: string): boolean => existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'));

/**
 * Where the CLIP tokenizer comes from, in order: the request's model folder (its `tokenizer/`; an error if it
 * has none, since it was asked for), env SD_STUDIO_TOKENIZER (a folder with vocab.json + merges.txt; tests use
 * the shared fixture), the configured model's `tokenizer/`; else none (the inspector still parses).
 */
export function resolveTokenizerDir(params: PromptInspectParams, settings: DaemonSettings): string | null {
  if (params.model) {
    const model = resolve(params.model);
    if (!existsSync(model)) throw notFound(model, 'model folder');
    const dir = join(model, 'tokenizer');
    if (!hasTokenizerFiles(dir)) throw modelError(model, 'has no tokenizer/vocab.json + tokenizer/merges.txt', 'a diffusers model folder');
    return dir;
  }
  const env = process.env.SD_STUDIO_TOKENIZER;
  if (env && hasTokenizerFiles(resolve(env))) return resolve(env);
  if (settings.model && hasTokenizerFiles(join(settings.model, 'tokenizer'))) return join(resolve(settings.model), 'tokenizer');
  return null;
}
