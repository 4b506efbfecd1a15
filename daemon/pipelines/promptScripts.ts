// A1111's "Prompt matrix" and "Prompts from file or textbox" scripts: generations composed from the img2img
// pipeline (one per combination / line, each saved with its own infotext), the matrix with its labelled grid.
import { invalidParam } from '../errors';
import { drawPromptMatrix } from '../image/gridAnnotations';
import { imageGrid } from '../image/grid';
import type { RgbImage } from '../image/rgbImage';
import type { JobContext } from '../jobs';
import { jobImages } from '../output/jobImages';
import type { GeneratedImage, GenerationResult, Img2ImgParams, PromptMatrixParams, PromptsFromFileParams } from '../protocol';
import { matrixPrompts, matrixRows } from '../scripts/promptMatrix';
import { promptLines } from '../scripts/promptsFromFile';
import { resolveImg2Img, resolveSeed } from '../validate';
import { seedJson } from '../seed';
import { runImg2ImgJob, type PipelineDeps } from './img2img';

/** A sub-job's progress counted across the script's jobs. */
function partJob(job: JobContext, part: number, parts: number): JobContext {
  return { ...job, progress: (step, steps, image, images) => job.progress(step, steps, part * images + image, parts * images) };
}

export async function runPromptMatrix(raw: PromptMatrixParams, job: JobContext, deps: PipelineDeps): Promise<GenerationResult> {
  const base: Img2ImgParams = { ...(raw?.params ?? {}) };
  const type = raw?.prompt_type ?? 'positive';
  if (type !== 'positive' && type !== 'negative') throw invalidParam('prompt_type', `unknown prompt type "${String(type)}"`, 'positive or negative');
  const delimiter = raw?.variations_delimiter ?? 'comma';
  if (delimiter !== 'comma' && delimiter !== 'space') throw invalidParam('variations_delimiter', `unknown delimiter "${String(delimiter)}"`, 'comma or space');
  const source = (type === 'positive' ? base.prompt : base.negative_prompt) ?? '';
  if (!source.includes('|')) throw invalidParam(type === 'positive' ? 'prompt' : 'negative_prompt', 'a prompt matrix needs parts separated by "|" (e.g. "a cat|in the snow|at night")');
  const { prompts, parts } = matrixPrompts(source, { putAtStart: raw.put_at_start === true, delimiter });
  const seed = resolveSeed('seed', base.seed, prompts.length);
  const resolved = resolveImg2Img({ ...base, seed: seedJson(seed) }, deps.settings);
  const images: GeneratedImage[] = [];
  const cells: RgbImage[] = [];
  let firstInfotext = '';
  for (let i = 0; i < prompts.length; i++) {
    const p: Img2ImgParams = { ...base, [type === 'positive' ? 'prompt' : 'negative_prompt']: prompts[i], seed: seedJson(seed + BigInt(raw.different_seeds ? i : 0)), n_iter: 1, batch_size: 1, do_not_save_grid: true };
    const run = await runImg2ImgJob(p, partJob(job, i, prompts.length), deps);
    images.push(...run.result.images);
    cells.push(...run.outputs);
    if (i === 0) firstInfotext = run.result.images[0]?.infotext ?? '';
  }
  const grid = await drawPromptMatrix(imageGrid(cells, matrixRows(parts)), cells[0]!.width, cells[0]!.height, parts, raw.margin_size ?? 0);
  const names = { seed, steps: resolved.steps, cfg: resolved.cfgScale, sampler: resolved.samplerName, scheduler: resolved.scheduler, prompt: source, negativePrompt: resolved.negativePrompt, batchSize: 1, date: new Date() };
  // A1111 saves the matrix only with grid_save; it always returns it.
  const saved = await jobImages({ ...resolved, saveImages: resolved.saveImages && resolved.save.saveGrid }).grid([], firstInfotext, names, { basename: 'prompt_matrix', force: true, image: grid });
  return { jobId: job.id, images, grids: saved ? [saved] : [], parameters: { ...base, seed: seedJson(seed) } };
}

export async function runPromptsFromFile(raw: PromptsFromFileParams, job: JobContext, deps: PipelineDeps): Promise<GenerationResult> {
  if (typeof raw?.text !== 'string') throw invalidParam('text', 'expected the lines as a string');
  const position = raw.prompt_position ?? 'start';
  if (position !== 'start' && position !== 'end') throw invalidParam('prompt_position', `unknown position "${String(position)}"`, 'start or end');
  const base: Img2ImgParams = { ...(raw.params ?? {}), do_not_save_grid: true };
  const lines = promptLines(raw.text);
  if (lines.length === 0) throw invalidParam('text', 'no prompt lines (every line is empty)');
  // A seed fixed once (random for -1) when the lines share or step it; otherwise each line's own (-1: random).
  let seed = raw.iterate_seed || raw.same_seed ? resolveSeed('seed', base.seed) : undefined;
  const images: GeneratedImage[] = [];
  for (let i = 0; i < lines.length; i++) {
    const { args } = lines[i]!;
    const p: Img2ImgParams = { ...base, ...(seed !== undefined ? { seed: seedJson(seed) } : {}), ...args };
    const join = (line: string | undefined, own: string | undefined): string | undefined => (line && own ? (position === 'start' ? `${line} ${own}` : `${own} ${line}`) : line ?? own);
    p.prompt = join(args.prompt, base.prompt);
    p.negative_prompt = join(args.negative_prompt, base.negative_prompt);
    const run = await runImg2ImgJob(p, partJob(job, i, lines.length), deps);
    images.push(...run.result.images);
    if (raw.iterate_seed && seed !== undefined) seed += BigInt((base.batch_size ?? 1) * (base.n_iter ?? 1));
  }
  return { jobId: job.id, images, parameters: base };
}
