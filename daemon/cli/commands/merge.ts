import { resolve } from 'node:path';
import type { MergeMethod, ModelsMergeParams } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import { DaemonClient, errorMessage, exitCodeFor } from '../client';
import type { CliCommand } from '../command';
import { runJobWithProgress } from '../runJob';

const flags: Record<string, FlagSpec> = {
  primary: { kind: 'string', help: 'model A' },
  secondary: { kind: 'string', help: 'model B (weighted-sum, add-difference)' },
  tertiary: { kind: 'string', help: 'model C (add-difference)' },
  method: { kind: 'string', help: 'no-interpolation | weighted-sum | add-difference' },
  multiplier: { kind: 'number', help: 'M: weighted sum (1-M)·A + M·B; add difference A + M·(B - C)' },
  fp16: { kind: 'boolean', help: 'save merged float32 tensors as float16 (A1111 "Save as float16")' },
  'bake-vae': { kind: 'string', help: 'VAE file to bake into first_stage_model.*' },
  discard: { kind: 'string', help: 'drop keys matching this regex' },
  out: { kind: 'string', help: 'output .safetensors file' },
  overwrite: { kind: 'boolean', help: 'replace --out if it exists (by default an existing file is refused)' },
  json: { kind: 'boolean', help: 'print the result as JSON' },
};
const METHODS: readonly string[] = ['no-interpolation', 'weighted-sum', 'add-difference'];

/** `sd-studio merge --primary A --secondary B [--tertiary C] --method M --multiplier X [...] --out FILE`. */
export const mergeCommand: CliCommand = {
  name: 'merge',
  summary: 'A1111 checkpoint merger: weighted sum / add difference, fp16, bake VAE, discard; writes .safetensors',
  usage: () => usageText('merge', '--primary A [--secondary B] [--tertiary C] --method METHOD --multiplier M --out FILE [--overwrite]', flags),
  async run(argv) {
    const { flags: f } = parseFlags(argv, flags);
    const str = (k: string) => (typeof f[k] === 'string' ? resolve(f[k] as string) : undefined);
    if (!f.primary) throw new UsageError('--primary is required');
    if (!f.out) throw new UsageError('--out is required');
    if (typeof f.method !== 'string' || !METHODS.includes(f.method)) throw new UsageError(`--method: expected ${METHODS.join(', ')}`);
    if (typeof f.multiplier !== 'number') throw new UsageError('--multiplier is required');
    if (f.method !== 'no-interpolation' && !f.secondary) throw new UsageError(`--method ${f.method} needs --secondary`);
    if (f.method === 'add-difference' && !f.tertiary) throw new UsageError('--method add-difference needs --tertiary');
    const params: ModelsMergeParams = {
      primary: str('primary')!, method: f.method as MergeMethod, multiplier: f.multiplier, out: str('out')!,
      ...(f.secondary ? { secondary: str('secondary')! } : {}),
      ...(f.tertiary ? { tertiary: str('tertiary')! } : {}),
      ...(f.fp16 ? { saveAsHalf: true } : {}),
      ...(f['bake-vae'] ? { bakeVae: str('bake-vae')! } : {}),
      ...(typeof f.discard === 'string' ? { discard: f.discard } : {}),
      ...(f.overwrite ? { overwrite: true } : {}),
    };
    const client = await DaemonClient.start();
    try {
      const outcome = await runJobWithProgress(client, 'models/merge', params, 'merge');
      if (!outcome.result) {
        process.stderr.write(`sd-studio merge: ${outcome.error}\n`);
        return outcome.exitCode ?? 1;
      }
      const r = outcome.result;
      if (f.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else process.stdout.write(`${r.out}  [${r.shortHash}]  ${r.tensors} tensors${r.isInpainting ? '  inpainting' : ''}${r.isInstructPix2Pix ? '  instruct-pix2pix' : ''}\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`sd-studio merge: ${errorMessage(e)}\n`);
      return exitCodeFor(e);
    } finally {
      await client.stop();
    }
  },
};
