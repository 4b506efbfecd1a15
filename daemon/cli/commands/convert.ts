import { resolve } from 'node:path';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import { DaemonClient, errorMessage, exitCodeFor } from '../client';
import type { CliCommand } from '../command';
import { runJobWithProgress } from '../runJob';

const flags: Record<string, FlagSpec> = {
  overwrite: { kind: 'boolean', help: 'replace OUT if it exists (by default an existing file is refused)' },
  json: { kind: 'boolean', help: 'print the result as JSON' },
};

/** `sd-studio convert IN OUT.safetensors`: exit 1 with a message when the input is refused. */
export const convertCommand: CliCommand = {
  name: 'convert',
  summary: '.ckpt/.pt/.bin → .safetensors without running the pickle (source hash kept in the metadata)',
  usage: () => usageText('convert', 'IN OUT.safetensors [--overwrite]', flags),
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, flags, true);
    if (positionals.length !== 2) throw new UsageError('expected IN and OUT.safetensors');
    const [input, out] = positionals.map((p) => resolve(p)) as [string, string];
    if (!out.toLowerCase().endsWith('.safetensors')) throw new UsageError('OUT must end in .safetensors');
    const client = await DaemonClient.start();
    try {
      const outcome = await runJobWithProgress(client, 'models/convert', { input, out, ...(f.overwrite ? { overwrite: true } : {}) }, 'convert');
      if (!outcome.result) {
        process.stderr.write(`sd-studio convert: ${outcome.error}\n`);
        return outcome.exitCode ?? 1;
      }
      const r = outcome.result;
      if (f.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else process.stdout.write(`${r.out}  [${r.shortHash}]  ${r.tensors} tensors from ${positionals[0]} [${r.sourceSha256.slice(0, 10)}]\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`sd-studio convert: ${errorMessage(e)}\n`);
      return exitCodeFor(e);
    } finally {
      await client.stop();
    }
  },
};
