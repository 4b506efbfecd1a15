import { resolve } from 'node:path';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import { DaemonClient, errorMessage, exitCodeFor } from '../client';
import type { CliCommand } from '../command';

const flags: Record<string, FlagSpec> = {
  json: { kind: 'boolean', help: 'print every hash (sha256, AutoV2, legacy, addnet, LoRA, TI) as JSON' },
};

/** `sd-studio hash FILE...`: one line per file, `AUTOV2  SHA256  PATH` (A1111's short hash first). */
export const hashCommand: CliCommand = {
  name: 'hash',
  summary: 'A1111/Civitai hashes of model files (AutoV2 short hash, full SHA-256; --json for legacy/LoRA/TI)',
  usage: () => usageText('hash', 'FILE... [--json]', flags),
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, flags, true);
    if (!positionals.length) throw new UsageError('no files given');
    const client = await DaemonClient.start();
    try {
      const { files } = await client.request('models/hash', { files: positionals.map((p) => resolve(p)) });
      if (f.json) process.stdout.write(`${JSON.stringify(files, null, 2)}\n`);
      else files.forEach((h, i) => process.stdout.write(`${h.autoV2}  ${h.sha256}  ${positionals[i]}\n`));
      return 0;
    } catch (e) {
      process.stderr.write(`sd-studio hash: ${errorMessage(e)}\n`);
      return exitCodeFor(e);
    } finally {
      await client.stop();
    }
  },
};
