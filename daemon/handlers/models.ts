import { extname, resolve } from 'node:path';
import { convertToSafetensors, ConvertError } from '../../models/convert';
import { OutputExistsError } from '../../models/formats/atomicFile';
import { OutputFolderError } from '../../models/formats/outputChecks';
import { WeightsError } from '../../models/formats/tensorRecord';
import { hashFile } from '../../models/hash';
import { mergeCheckpoints, MergeError, type MergeProgress } from '../../models/merge';
import { invalidParam, notFound, RpcError } from '../errors';
import { ErrorCodes, type MergeMethod, type ModelsMergeParams } from '../protocol';
import type { JobContext } from '../jobs';
import type { DaemonServer } from '../server';

const METHODS: readonly MergeMethod[] = ['no-interpolation', 'weighted-sum', 'add-difference'];

/** `models/hash` (quick request), `models/merge` and `models/convert` (jobs on the one worker). */
export function registerModelsHandlers(server: DaemonServer): void {
  server.onRequest('models/hash', async (params, ctx) => {
    if (!Array.isArray(params.files) || !params.files.every((f) => typeof f === 'string')) throw invalidParam('files', 'expected a list of file paths');
    const ac = new AbortController();
    const sub = ctx.token.onCancellationRequested(() => ac.abort());
    try {
      const files = [];
      for (const f of params.files) files.push(await mapErrors(() => hashFile(f, { signal: ac.signal })));
      return { files };
    } finally {
      sub.dispose();
    }
  });

  server.onJobRequest('models/merge', 'merge', async (params, { job }) => {
    checkMergeParams(params);
    const r = await mapErrors(() =>
      mergeCheckpoints({
        ...params,
        overwrite: flag('overwrite', params.overwrite),
        extraMetadata: params.metadata,
        signal: job.signal,
        // "tensor 120/1131 · 1.2 GB/2.0 GB" while merging; "hashing a.safetensors · 0.8 GB/2.0 GB" while the
        // recipe's input hashes are computed (cached inputs report nothing). At most one report per percent.
        onProgress: mergeProgress(job),
      }),
    );
    return { jobId: job.id, ...r };
  });

  server.onJobRequest('models/convert', 'convert', async (params, { job }) => {
    if (typeof params.input !== 'string' || !params.input) throw invalidParam('input', 'expected a file path');
    checkOut(params.out, [params.input]);
    const overwrite = flag('overwrite', params.overwrite);
    let last = -1;
    const r = await mapErrors(() =>
      convertToSafetensors({
        input: params.input,
        out: params.out,
        overwrite,
        signal: job.signal,
        onProgress: (done, total) => {
          const pct = total ? Math.floor((done / total) * 100) : 100;
          if (pct !== last) job.progress((last = pct), 100, 0, 1);
        },
      }),
    );
    const { metadata: _m, ...rest } = r;
    return { jobId: job.id, ...rest };
  });
}

const gb = (n: number) => `${(n / 1e9).toFixed(1)} GB`;

/** Merge progress → `job.report`, throttled to whole percents of each stage (and every tensor change). */
function mergeProgress(job: JobContext): (p: MergeProgress) => void {
  let last = '';
  return (p) => {
    if (p.stage === 'merging') {
      const pct = p.total ? Math.floor((p.done / p.total) * 100) : 100;
      const key = `m${p.tensor}:${pct}`;
      if (key === last) return;
      last = key;
      job.report(p.done, p.total, `tensor ${p.tensor}/${p.tensors} · ${gb(p.done)}/${gb(p.total)}`);
    } else {
      const pct = p.total ? Math.floor((p.done / p.total) * 100) : 100;
      const key = `h${p.message}:${pct}`;
      if (key === last) return;
      last = key;
      job.report(p.done, p.total, `${p.message} · ${gb(p.done)}/${gb(p.total)}`);
    }
  };
}

function checkMergeParams(p: ModelsMergeParams): void {
  if (typeof p.primary !== 'string' || !p.primary) throw invalidParam('primary', 'expected a checkpoint path');
  if (!METHODS.includes(p.method)) throw invalidParam('method', `expected one of ${METHODS.join(', ')}`, METHODS.join('|'));
  if (typeof p.multiplier !== 'number' || !Number.isFinite(p.multiplier)) throw invalidParam('multiplier', 'expected a number');
  if (p.method !== 'no-interpolation' && !p.secondary) throw invalidParam('secondary', `${p.method} needs a secondary model`);
  if (p.method === 'add-difference' && !p.tertiary) throw invalidParam('tertiary', 'add-difference needs a tertiary model');
  checkOut(p.out, [p.primary, p.secondary, p.tertiary, p.bakeVae]);
  if (p.discard !== undefined) {
    try {
      new RegExp(p.discard);
    } catch (e) {
      throw invalidParam('discard', `bad regular expression: ${(e as Error).message}`);
    }
  }
}

/** A .safetensors output that is none of the inputs (usage errors, so they are refused as parameters). */
function checkOut(out: unknown, inputs: Array<string | undefined>): asserts out is string {
  if (typeof out !== 'string' || !out) throw invalidParam('out', 'expected a .safetensors path');
  if (extname(out).toLowerCase() !== '.safetensors') throw invalidParam('out', `${out}: output must be a .safetensors file`);
  if (inputs.some((i) => i !== undefined && resolve(i) === resolve(out))) throw invalidParam('out', `${out}: output would overwrite an input`);
}

function flag(field: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalidParam(field, `expected true or false, got ${JSON.stringify(v)}`, 'boolean');
  return v;
}

/** Library errors → protocol errors that name the file. */
async function mapErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof WeightsError) {
      if (e.problem === 'file not found') throw notFound(e.file, 'model file');
      throw new RpcError(ErrorCodes.ModelError, e.message, { file: e.file });
    }
    const code = (e as NodeJS.ErrnoException)?.code;
    const path = (e as NodeJS.ErrnoException)?.path;
    if (code === 'ENOENT' && path) throw notFound(path, 'file');
    if (e instanceof OutputExistsError) throw new RpcError(ErrorCodes.OutputExists, e.message, { file: e.path });
    if (e instanceof OutputFolderError) throw new RpcError(ErrorCodes.JobFailed, e.message, { file: e.path });
    // What is left of these is the models themselves (shapes that do not merge, nothing to convert): failures.
    if (e instanceof MergeError || e instanceof ConvertError) throw new RpcError(ErrorCodes.JobFailed, e.message);
    throw e;
  }
}
