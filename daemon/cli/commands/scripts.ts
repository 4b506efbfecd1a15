// A1111's everyday scripts on the command line: `xyz` (X/Y/Z plot), `prompt-matrix`, `prompts-from-file`; every
// img2img/txt2img flag sets the job the script starts from.
import { readFileSync } from 'node:fs';
import type { Img2ImgParams, RequestMethod, XyzAxisParams } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec, type FlagValues } from '../args';
import { DaemonClient, errorMessage } from '../client';
import type { CliCommand } from '../command';
import { printImagesOutcome, runJobWithProgress } from '../runJob';
import { daemonSettingsFromFlags, img2imgFlags, paramsFromFlags } from './img2img';

async function runScript(method: 'sd/xyz' | 'sd/promptMatrix' | 'sd/promptsFromFile', params: object, f: FlagValues, label: string): Promise<number> {
  const client = await DaemonClient.start(daemonSettingsFromFlags(f));
  try {
    return printImagesOutcome(await runJobWithProgress(client, method as RequestMethod as 'sd/xyz', params as never, label), f.json === true);
  } catch (e) {
    process.stderr.write(`sd-studio: ${errorMessage(e)}\n`);
    return 1;
  } finally {
    await client.stop();
  }
}

const axisFlags: Record<string, FlagSpec> = Object.fromEntries(['x', 'y', 'z'].flatMap((a) => [
  [a, { kind: 'string', help: `${a.toUpperCase()} axis as "Type: values", e.g. "Steps: 10-30 [3]", "Sampler: Euler a, DPM++ 2M"` }],
  [`${a}-type`, { kind: 'string', help: `${a.toUpperCase()} axis type (A1111 label: Seed, Steps, CFG Scale, Sampler, Prompt S/R, Checkpoint name, …)` }],
  [`${a}-values`, { kind: 'string', help: `${a.toUpperCase()} axis values: "1, 2, 3", "1-5", "1-5 (+2)", "10-20 [5]"` }],
]));

/** `--x "Steps: 10, 20"` or `--x-type Steps --x-values "10, 20"`. */
function axis(f: FlagValues, a: string): XyzAxisParams | undefined {
  const whole = f[a];
  if (typeof whole === 'string') {
    const colon = whole.indexOf(':');
    if (colon < 0) throw new UsageError(`--${a}: expected "Type: values", e.g. "Steps: 10, 20"`);
    return { type: whole.slice(0, colon).trim(), values: whole.slice(colon + 1).trim() };
  }
  const type = f[`${a}-type`];
  if (type === undefined) return undefined;
  return { type: String(type), values: String(f[`${a}-values`] ?? '') };
}

const xyzFlags: Record<string, FlagSpec> = {
  ...img2imgFlags,
  ...axisFlags,
  'no-legend': { kind: 'boolean', help: 'no axis labels on the grid' },
  'keep-random-seeds': { kind: 'boolean', help: 'A1111 "Keep -1 for seeds": every cell draws its own random seed' },
  'sub-grids': { kind: 'boolean', help: 'with several Z values, also save each Z value\'s grid' },
  margin: { kind: 'int', help: 'grid margins in pixels (default 0)' },
};

export const xyzCommand: CliCommand = {
  name: 'xyz',
  summary: 'A1111\'s X/Y/Z plot: one image per combination of axis values, and the labelled grid',
  usage: () => usageText('xyz', '--x "Steps: 10, 20" [--y "Sampler: Euler a, DPM++ 2M"] [--z …] [txt2img/img2img options]', xyzFlags),
  async run(argv) {
    const { flags: f } = parseFlags(argv, xyzFlags, { numbersCheckedByDaemon: true });
    const [x, y, z] = ['x', 'y', 'z'].map((a) => axis(f, a));
    if (!x && !y && !z) throw new UsageError('give at least one axis: --x "Type: values"');
    const params = {
      ...(x ? { x } : {}), ...(y ? { y } : {}), ...(z ? { z } : {}), params: paramsFromFlags(f),
      draw_legend: f['no-legend'] !== true, no_fixed_seeds: f['keep-random-seeds'] === true, include_sub_grids: f['sub-grids'] === true,
      ...(typeof f.margin === 'number' ? { margin_size: f.margin } : {}),
    };
    return runScript('sd/xyz', params, f, 'xyz');
  },
};

const matrixFlags: Record<string, FlagSpec> = {
  ...img2imgFlags,
  'put-at-start': { kind: 'boolean', help: 'put the variable parts at the start of the prompt' },
  'different-seeds': { kind: 'boolean', help: 'a different seed for each picture' },
  'negative-matrix': { kind: 'boolean', help: 'the negative prompt holds the | parts' },
  'join-with-space': { kind: 'boolean', help: 'join the parts with a space (default ", ")' },
  margin: { kind: 'int', help: 'grid margins in pixels (default 0)' },
};

export const promptMatrixCommand: CliCommand = {
  name: 'prompt-matrix',
  summary: 'A1111\'s prompt matrix: "a cat|in the snow|at night" → every combination of the | parts, and the labelled grid',
  usage: () => usageText('prompt-matrix', '-p "base|part 1|part 2" [options]', matrixFlags),
  async run(argv) {
    const { flags: f } = parseFlags(argv, matrixFlags, { numbersCheckedByDaemon: true });
    const params = {
      params: paramsFromFlags(f), put_at_start: f['put-at-start'] === true, different_seeds: f['different-seeds'] === true,
      prompt_type: f['negative-matrix'] ? 'negative' : 'positive', variations_delimiter: f['join-with-space'] ? 'space' : 'comma',
      ...(typeof f.margin === 'number' ? { margin_size: f.margin } : {}),
    };
    return runScript('sd/promptMatrix', params, f, 'prompt matrix');
  },
};

const fileFlags: Record<string, FlagSpec> = {
  ...img2imgFlags,
  'iterate-seed': { kind: 'boolean', help: 'iterate the seed every line' },
  'same-seed': { kind: 'boolean', help: 'use the same random seed for all lines' },
  'prompts-at-end': { kind: 'boolean', help: 'insert each line\'s prompt after the --prompt given (default: before)' },
};

export const promptsFromFileCommand: CliCommand = {
  name: 'prompts-from-file',
  summary: 'A1111\'s "Prompts from file or textbox": one generation per line (a prompt, or --prompt "…" --steps 30 …)',
  usage: () => usageText('prompts-from-file', 'FILE|- [options]', fileFlags),
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, fileFlags, { allowPositionals: true, numbersCheckedByDaemon: true });
    if (positionals.length !== 1) throw new UsageError('give the prompts file (or - for standard input)');
    const text = readFileSync(positionals[0] === '-' ? 0 : positionals[0]!, 'utf8');
    const base: Img2ImgParams = paramsFromFlags(f);
    const params = { text, params: base, iterate_seed: f['iterate-seed'] === true, same_seed: f['same-seed'] === true, prompt_position: f['prompts-at-end'] ? 'end' : 'start' };
    return runScript('sd/promptsFromFile', params, f, 'prompts');
  },
};
