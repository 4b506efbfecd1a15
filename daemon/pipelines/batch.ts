// Batch img2img over a folder (A1111 `modules/img2img.py: process_batch`): every input runs the img2img pipeline on its
// own; a bad file is reported and the run goes on; outputs are named as A1111 names them with an output dir and never
// overwrite.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { CancelledError, invalidParam, notFound, throwIfAborted } from '../errors';
import { checkWritableFolder } from '../../models/formats/outputChecks';
import { readGenerationInfoFile } from '../infotext/readInfo';
import type { JobContext } from '../jobs';
import { nextSequenceNumber } from '../output/filenames';
import { NAME_MAX_BYTES, fitUtf8, writeNewFileSync } from '../../models/formats/atomicFile';
import { paramsFromInfotext } from '../infotext/pasteParams';
import type { BatchFileReport, BatchParams, BatchResult, Img2ImgParams } from '../protocol';
import { resolveSeed } from '../validate';
import { seedJson } from '../seed';
import { runImg2Img, type PipelineDeps } from './img2img';

const IMAGE_EXTS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff']);
const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** `util.walk_files`: recursive, natural order, image extensions only. */
export function walkImages(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort(natural.compare)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walkImages(p));
    else if (IMAGE_EXTS.has(extname(name).toLowerCase())) out.push(p);
  }
  return out;
}

const stem = (p: string): string => basename(p, extname(p));

/** A1111's mask lookup: the only file of the folder, else the first `<stem>.*`; undefined = skip the image. */
export function findMask(maskDir: string, input: string): string | undefined {
  const files = readdirSync(maskDir).filter((n) => !n.startsWith('.') && statSync(join(maskDir, n)).isFile()).sort(natural.compare);
  if (files.length === 1) return join(maskDir, files[0]!);
  const s = stem(input);
  const hit = files.find((n) => stem(n) === s);
  return hit && join(maskDir, hit);
}

/** "Append png info to prompts": the chosen fields of the input's own infotext over the run's params. */
function withPngInfo(base: Img2ImgParams, file: string, opt: NonNullable<BatchParams['png_info']>): Img2ImgParams {
  const src = opt.dir ? join(opt.dir, basename(file)) : file;
  let text: string | null = null;
  try {
    text = existsSync(src) ? readGenerationInfoFile(src).infotext : null;
  } catch {
    text = null; // A1111: parse failures silently give {}
  }
  if (!text) return base;
  const info = paramsFromInfotext(text).params;
  const fields = opt.fields ?? ['Prompt', 'Negative prompt', 'Seed', 'CFG scale', 'Sampler', 'Steps'];
  const p = { ...base };
  const join2 = (a: string | undefined, b: string | undefined): string | undefined => (b ? (a ? `${a} ${b}` : b) : a);
  if (fields.includes('Prompt')) p.prompt = join2(base.prompt, info.prompt);
  if (fields.includes('Negative prompt')) p.negative_prompt = join2(base.negative_prompt, info.negative_prompt);
  if (fields.includes('Seed') && info.seed !== undefined) p.seed = info.seed;
  if (fields.includes('CFG scale') && info.cfg_scale !== undefined) p.cfg_scale = info.cfg_scale;
  if (fields.includes('Sampler') && info.sampler_name !== undefined) Object.assign(p, { sampler_name: info.sampler_name, ...(info.scheduler ? { scheduler: info.scheduler } : {}) });
  if (fields.includes('Steps') && info.steps !== undefined) p.steps = info.steps;
  return p;
}

/** Write `<NNNNN>-<stem>[-<generation>].png` in `dir`, taking the next free number. */
function saveBatchOutput(dir: string, name: string, png: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const start = nextSequenceNumber(readdirSync(dir));
  for (let n = start; n < start + 1000; n++) {
    // A long source name is cut to the file-name limit in bytes (A1111 truncates to f_namemax).
    const path = join(dir, `${fitUtf8(`${String(n).padStart(5, '0')}-${name}`, NAME_MAX_BYTES - 4)}.png`);
    if (writeNewFileSync(path, png)) return path;
  }
  throw new Error(`no free file name in ${dir}`);
}

export async function runBatch(raw: BatchParams, job: JobContext, deps: PipelineDeps): Promise<BatchResult> {
  if (typeof raw?.input_dir !== 'string' || !raw.input_dir) throw invalidParam('input_dir', 'expected a folder', 'string');
  if (typeof raw.output_dir !== 'string' || !raw.output_dir) throw invalidParam('output_dir', 'expected a folder', 'string');
  const inputDir = resolve(raw.input_dir);
  if (!existsSync(inputDir) || !statSync(inputDir).isDirectory()) throw notFound(inputDir, 'input_dir folder');
  const maskDir = raw.mask_dir ? resolve(raw.mask_dir) : undefined;
  if (maskDir && (!existsSync(maskDir) || !statSync(maskDir).isDirectory())) throw notFound(maskDir, 'mask_dir folder');
  const outDir = resolve(raw.output_dir);
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw invalidParam('output_dir', `${outDir} is a file`, 'a folder');
  await checkWritableFolder(outDir);
  // The seed is fixed once for the whole run (processing.fix_seed).
  const base: Img2ImgParams = { ...raw.params, seed: seedJson(resolveSeed('params.seed', raw.params?.seed)), save_images: false, send_images: true };
  const inputs = walkImages(inputDir);
  const files: BatchFileReport[] = [];
  const multi = (base.n_iter ?? 1) * (base.batch_size ?? 1) > 1;
  for (let k = 0; k < inputs.length; k++) {
    throwIfAborted(job.signal);
    const input = inputs[k]!;
    job.report(k, inputs.length, `${basename(input)} (${k + 1}/${inputs.length})`);
    const mask = maskDir ? findMask(maskDir, input) : undefined;
    if (maskDir && !mask) {
      files.push({ input, status: 'skipped', outputs: [], reason: `no mask named ${stem(input)}.* in ${maskDir}` });
      continue;
    }
    try {
      let p: Img2ImgParams = { ...base, init_images: [input], ...(mask ? { mask } : {}) };
      if (raw.png_info) p = withPngInfo(p, input, raw.png_info);
      const r = await runImg2Img(p, job, deps);
      const outputs = r.images.map((img, i) => saveBatchOutput(outDir, multi ? `${stem(input)}-${i + 1}` : stem(input), Buffer.from(img.png!, 'base64')));
      files.push({ input, status: 'done', outputs });
    } catch (e) {
      if (e instanceof CancelledError || job.signal.aborted) throw e;
      files.push({ input, status: 'failed', outputs: [], reason: (e as Error).message });
    }
  }
  job.report(inputs.length, inputs.length, 'done');
  const count = (s: BatchFileReport['status']): number => files.filter((f) => f.status === s).length;
  return { jobId: job.id, files, done: count('done'), failed: count('failed'), skipped: count('skipped'), ...(job.warnings.length ? { warnings: [...job.warnings] } : {}) };
}
