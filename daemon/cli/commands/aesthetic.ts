import { resolve } from 'node:path';
import type { DaemonSettings } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import { DaemonClient, errorMessage } from '../client';
import type { CliCommand } from '../command';
import { runJobWithProgress } from '../runJob';

const SYNOPSIS = 'create NAME FOLDER [--out DIR] [--overwrite] [--raw-mean] | list';

const flags: Record<string, FlagSpec> = {
  out: { kind: 'string', short: 'o', help: 'create: folder for NAME.pt (default: the models root\'s aesthetic_embeddings)' },
  overwrite: { kind: 'boolean', help: 'create: replace an existing NAME.pt' },
  'raw-mean': { kind: 'boolean', help: 'create: average the features as they come, as the A1111 extension does (default: normalise each first)' },
  'models-root': { kind: 'string', help: 'A1111 install or models folder (default $SD_STUDIO_MODELS_ROOT)' },
  json: { kind: 'boolean', help: 'print the result as JSON' },
};

/** `sd-studio aesthetic create NAME FOLDER`: A1111's "Create aesthetic embedding" tab; `list`: the embeddings. */
export const aestheticCommand: CliCommand = {
  name: 'aesthetic',
  summary: 'aesthetic embeddings (A1111 aesthetic gradients): create NAME FOLDER averages a folder\'s CLIP image features into NAME.pt; list',
  usage: () => usageText('aesthetic', SYNOPSIS, flags),
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, flags, true);
    const [action, ...rest] = positionals;
    if (action !== 'create' && action !== 'list') throw new UsageError('expected "create NAME FOLDER" or "list"');
    if (action === 'create' && rest.length !== 2) throw new UsageError('create needs NAME and FOLDER');
    if (action === 'list' && rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
    const settings: Partial<DaemonSettings> = typeof f['models-root'] === 'string' ? { modelsRoot: resolve(f['models-root']) } : {};
    const client = await DaemonClient.start(settings);
    try {
      if (action === 'list') {
        const r = await client.request('sd/aesthetic.list', {});
        if (f.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        else for (const e of r.embeddings) process.stdout.write(`${e.name}\t${e.path}\n`);
        return 0;
      }
      const params = {
        name: rest[0]!, input_dir: resolve(rest[1]!), ...(typeof f.out === 'string' ? { out_dir: resolve(f.out) } : {}),
        overwrite: f.overwrite === true, normalize_each: f['raw-mean'] !== true,
      };
      const outcome = await runJobWithProgress(client, 'sd/aesthetic.create', params, 'aesthetic');
      if (!outcome.result) {
        process.stderr.write(`sd-studio aesthetic: ${outcome.error}\n`);
        return 1;
      }
      const r = outcome.result;
      for (const x of r.failed) process.stderr.write(`sd-studio: ${x.file}: skipped: ${x.error}\n`);
      process.stdout.write(f.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.path}  (${r.images} images, ${r.dim} features, ${r.seconds.toFixed(1)} s)\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`sd-studio aesthetic: ${errorMessage(e)}\n`);
      return 1;
    } finally {
      await client.stop();
    }
  },
};
