import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { invalidParam, modelError, notFound } from '../errors';
import { inspectPrompt, type ClipTokenizer } from '../prompt';
import type { DaemonSettings, PromptInspectParams, PromptInspectResult } from '../protocol';
import type { DaemonServer } from '../server';
import type { Services } from '../services';

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

/** `sd/prompt.inspect`: the prompt inspector (pure work on the request thread, no job). */
export function registerPromptHandlers(server: DaemonServer, services: Services): void {
  const loadTokenizer = (dir: string): ClipTokenizer => {
    try {
      return services.tokenizers.get(dir);
    } catch (e) {
      throw modelError(dir, `cannot read the CLIP tokenizer: ${(e as Error).message}`);
    }
  };
  server.onRequest('sd/prompt.inspect', async (params, ctx): Promise<PromptInspectResult> => {
    if (typeof params.text !== 'string') throw invalidParam('text', 'expected the prompt as a string');
    const steps = params.steps ?? 20;
    if (!Number.isInteger(steps) || steps < 1 || steps > 10_000) throw invalidParam('steps', 'expected an integer from 1 to 10000');
    if (params.model !== undefined && typeof params.model !== 'string') throw invalidParam('model', 'expected a model folder path');
    const dir = resolveTokenizerDir(params, ctx.settings);
    const tokenizer = dir ? loadTokenizer(dir) : null;
    // Embeddings from <modelsRoot>/embeddings by file name (every width: the inspector has no text encoder).
    const embeddings = tokenizer ? await services.embeddings.forRoot(ctx.settings.modelsRoot)?.vectorCounts() : undefined;
    const r = inspectPrompt(params.text, { steps, tokenizer, negative: params.negative === true, embeddings });
    return { ...r.inspection, tokenizer: dir, diagnostics: r.diagnostics };
  });
}
