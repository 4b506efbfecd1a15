import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import { DaemonClient, errorMessage } from '../client';
import type { CliCommand } from '../command';

const flags: Record<string, FlagSpec> = {
  json: { kind: 'boolean', help: 'print the listing (or what clear removed) as JSON' },
};

const size = (b: number): string => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GB` : b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MB` : `${(b / 1024).toFixed(0)} kB`);

/**
 * `sd-studio cache list|clear`: what SD Studio keeps in its cache (checkpoint builds, LoRA/VAE variants,
 * derived graphs) and its size against the limit (SD_STUDIO_CACHE_LIMIT_GB / sdStudio.cacheLimitGB, default 10);
 * `clear` empties it. Builds are remade on next use.
 */
export const cacheCommand: CliCommand = {
  name: 'cache',
  summary: 'list or clear SD Studio\'s cache of checkpoint builds and LoRA/VAE variants (size limit, least recently used out)',
  usage: () => usageText('cache', 'list|clear [--json]', flags),
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, flags, true);
    const action = positionals[0];
    if (positionals.length !== 1 || (action !== 'list' && action !== 'clear')) throw new UsageError('expected "list" or "clear"');
    const client = await DaemonClient.start();
    try {
      if (action === 'clear') {
        const r = await client.request('cache/clear', {});
        process.stdout.write(f.json ? `${JSON.stringify(r, null, 2)}\n` : `removed ${r.removed} entr${r.removed === 1 ? 'y' : 'ies'}, freed ${size(r.freedBytes)}\n`);
        return 0;
      }
      const r = await client.request('cache/list', {});
      if (f.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(`${r.dir}: ${size(r.totalBytes)} of ${size(r.limitBytes)}\n`);
      for (const e of r.entries) {
        process.stdout.write(`  ${size(e.bytes).padStart(9)}  ${e.lastUsed.slice(0, 16).replace('T', ' ')}  ${e.kind.padEnd(12)} ${e.title}${e.inUse ? '  (in use)' : ''}\n`);
      }
      return 0;
    } catch (e) {
      process.stderr.write(`sd-studio cache: ${errorMessage(e)}\n`);
      return 1;
    } finally {
      await client.stop();
    }
  },
};
