// `sd/sdprompt.run`: the specs of a `.sdprompt` file run one after the other in one job, each through the
// img2img pipeline (txt2img without `@init`, inpaint with `@mask`; an X/Y/Z plot with `@xyz`), past failing
// specs, with a report per spec.
// `sd-studio run` and the editor's "▶ Generate" lenses both come here.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { findCheckpoint } from '../../models/checkpointFinder';
import { invalidParam, notFound, RpcError, throwIfAborted } from '../errors';
import type { JobContext } from '../jobs';
import { analyzeSdPrompt } from '../language/document';
import { runnableSpecs } from '../language/codeLens';
import { specParams, specXyz } from '../language/specParams';
import { specInfotext } from '../infotext/sdprompt';
import { paramsFromInfotext } from '../infotext/pasteParams';
import type { Img2ImgParams, SdPromptRunParams, SdPromptRunResult, SdPromptSpecReport } from '../protocol';
import { runImg2Img, type PipelineDeps } from './img2img';
import { runXyz } from './xyz';

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The model a spec runs on: the one given, the configured one, else the checkpoint its infotext names. */
async function specModel(given: string | undefined, configured: string, fields: Record<string, string>, modelsRoot: string, signal: AbortSignal): Promise<string> {
  if (given) return given;
  if (configured) return configured;
  const name = fields['Model'];
  const hash = fields['Model hash'];
  if (!name && !hash) throw invalidParam('model', 'no model: give --model, set SD_STUDIO_MODEL (sdStudio.model), or add "Model:" / "Model hash:" to the spec');
  const found = modelsRoot ? await findCheckpoint(modelsRoot, { ...(name ? { name } : {}), ...(hash ? { hash } : {}) }, { signal }) : undefined;
  if (!found) {
    const what = [name && `Model: ${name}`, hash && `Model hash: ${hash}`].filter(Boolean).join(', ');
    throw invalidParam('model', `the spec's ${what} is not in ${modelsRoot ? `${modelsRoot} (Stable-diffusion/)` : 'any models root (none set: SD_STUDIO_MODELS_ROOT / sdStudio.modelsRoot)'}; give --model or set SD_STUDIO_MODEL`);
  }
  return found.path;
}

export async function runSdPrompt(p: SdPromptRunParams, job: JobContext, deps: PipelineDeps): Promise<SdPromptRunResult> {
  if (p.file === undefined && p.text === undefined) throw invalidParam('file', 'give the .sdprompt file (or its text)');
  const file = p.file !== undefined ? resolve(p.file) : undefined;
  let text = p.text;
  if (text === undefined) {
    try {
      text = readFileSync(file!, 'utf8');
    } catch {
      throw notFound(file!, '.sdprompt file');
    }
  }
  const seeds = p.seeds ?? 1;
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > 1000) throw invalidParam('seeds', `${JSON.stringify(p.seeds)} is out of range`, 'integer 1..1000');
  const all = runnableSpecs(analyzeSdPrompt(text));
  const only = p.only;
  if (only !== undefined && (!Array.isArray(only) || only.some((i) => !all.some((s) => s.index === i)))) {
    throw invalidParam('only', `no spec ${JSON.stringify(only)} in ${file ?? 'the text'}: it has ${all.map((s) => s.index).join(', ') || 'none'} (0-based, counting "---" lines)`);
  }
  const docDir = file ? dirname(file) : null;
  const specs: SdPromptSpecReport[] = [];
  const chosen = all.filter((s) => only === undefined || only.includes(s.index));
  for (const [k, { index, line, spec }] of chosen.entries()) {
    const parsed = spec.prompt === '' && spec.paramsLine === null ? undefined : paramsFromInfotext(specInfotext(spec));
    const report: SdPromptSpecReport = { index, line, title: spec.prompt.split('\n')[0]!.slice(0, 60), status: 'cancelled', warning: parsed?.warning ?? null, images: [] };
    specs.push(report);
    if (job.signal.aborted) continue;
    if (chosen.length > 1) job.report(k, chosen.length, `spec ${index + 1} (line ${line + 1})`);
    try {
      const params: Img2ImgParams = { ...p.defaults, ...specParams(spec, docDir) };
      if (!params.init_images?.length) delete params.denoising_strength;
      if (seeds > 1) params.n_iter = seeds * (params.n_iter ?? 1);
      params.model = await specModel(p.model, deps.settings.model, parsed?.fields ?? {}, deps.settings.modelsRoot, job.signal);
      report.model = params.model;
      // A spec with `@xyz` lines is an X/Y/Z plot: the grids come first, then the cells.
      const xyz = specXyz(spec);
      const r = xyz ? await runXyz({ ...xyz, params }, job, deps) : await runImg2Img(params, job, deps);
      Object.assign(report, { status: 'done', images: [...(r.grids ?? []), ...r.images], parameters: r.parameters });
    } catch (e) {
      if (job.signal.aborted) continue; // cancelled, not failed
      report.status = 'failed';
      report.error = e instanceof RpcError ? e.message : message(e);
    }
  }
  throwIfAborted(job.signal);
  return { jobId: job.id, specs, done: specs.filter((s) => s.status === 'done').length, failed: specs.filter((s) => s.status === 'failed').length };
}
