import { invalidParam, modelError } from '../errors';
import { resolveTokenizerDir } from '../modelFiles/tokenizerDir';
import { inspectPrompt, type ClipTokenizer } from '../prompt';
import type { PromptInspectResult } from '../protocol';
import type { DaemonServer } from '../server';
import type { Services } from '../services';

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
    const hiresSteps = params.hiresSteps;
    if (hiresSteps !== undefined && (!Number.isInteger(hiresSteps) || hiresSteps < 1 || hiresSteps > 10_000)) throw invalidParam('hiresSteps', 'expected an integer from 1 to 10000');
    if (params.model !== undefined && typeof params.model !== 'string') throw invalidParam('model', 'expected a model folder path');
    const dir = resolveTokenizerDir(params, ctx.settings);
    const tokenizer = dir ? loadTokenizer(dir) : null;
    // Embeddings from <modelsRoot>/embeddings by file name (every width: the inspector has no text encoder).
    const embeddings = tokenizer ? await services.embeddings.forRoot(ctx.settings.modelsRoot)?.vectorCounts() : undefined;
    const r = inspectPrompt(params.text, { steps, hiresSteps: hiresSteps ?? null, tokenizer, negative: params.negative === true, embeddings });
    return { ...r.inspection, tokenizer: dir, diagnostics: r.diagnostics };
  });
}
