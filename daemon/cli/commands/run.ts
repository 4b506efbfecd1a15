import { resolve } from 'node:path';
import type { SdPromptRunParams } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import { DaemonClient, errorMessage } from '../client';
import type { CliCommand } from '../command';
import { runJobWithProgress } from '../runJob';
import { daemonSettingsFromFlags } from './img2img';
import { speedSettingFlags, speedSettingsFromFlags } from '../speedFlags';

const flags: Record<string, FlagSpec> = {
  only: { kind: 'string', help: 'run only these specs: numbers from 1 (the first spec), comma-separated (e.g. 2,5)' },
  seeds: { kind: 'int', help: 'run each spec with K seeds (batch count × K), as the "Generate ×4 seeds" lens does' },
  model: { kind: 'string', help: 'model for every spec (default: SD_STUDIO_MODEL, else the checkpoint the spec\'s Model: / Model hash: names in the models root)' },
  vae: { kind: 'string', help: 'VAE for checkpoint files: a VAE file, a name in <models root>/VAE, None or Automatic' },
  'models-root': { kind: 'string', help: 'A1111 models folder (or install) to find Model:, LoRAs and embeddings in (default: SD_STUDIO_MODELS_ROOT)' },
  outdir: { kind: 'string', help: 'output root for specs without @outdir (default: SD_STUDIO_OUTPUT_DIR or ./outputs)' },
  provider: { kind: 'string', help: 'execution provider: cpu, cuda, dml, coreml, webgpu' },
  threads: { kind: 'int', help: 'intra-op threads (default: physical cores)' },
  json: { kind: 'boolean', help: 'print the per-spec report as JSON' },
  ...speedSettingFlags,
};

/** `--only 2,5` (numbers from 1, as the report names specs) → the protocol's 0-based spec indexes. */
function onlyIndexes(v: string): number[] {
  const parts = v.split(',').map((x) => x.trim());
  if (parts.some((x) => !/^[1-9]\d*$/.test(x))) throw new UsageError(`--only: expected spec numbers from 1, comma-separated, got "${v}"`);
  return parts.map((x) => Number(x) - 1);
}

/**
 * `sd-studio run FILE.sdprompt`: every spec of the file (txt2img without @init, img2img with it, inpaint with
 * @mask), one report line per spec; it goes on past a failing spec and exits 1 when any failed.
 */
export const runCommand: CliCommand = {
  name: 'run',
  summary: 'run the specs of a .sdprompt file (txt2img / img2img / inpaint); a report per spec, exit 1 if any failed',
  usage: () => usageText('run', 'FILE.sdprompt [--only N[,M…]] [--seeds K] [--model M] [--vae FILE]', flags),
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, flags, true);
    if (positionals.length !== 1) throw new UsageError('expected one .sdprompt file');
    if (f.seeds !== undefined && (typeof f.seeds !== 'number' || f.seeds < 1)) throw new UsageError('--seeds: expected a whole number ≥ 1');
    const params: SdPromptRunParams = { file: resolve(positionals[0]!) };
    if (typeof f.only === 'string') params.only = onlyIndexes(f.only);
    if (typeof f.seeds === 'number') params.seeds = f.seeds;
    if (typeof f.model === 'string') params.model = resolve(f.model);
    if (typeof f.outdir === 'string') params.defaults = { outdir: resolve(f.outdir) };
    const settings = { ...daemonSettingsFromFlags(f), ...speedSettingsFromFlags(f, true) };
    if (typeof f['models-root'] === 'string') settings.modelsRoot = resolve(f['models-root']);
    const client = await DaemonClient.start(settings);
    try {
      const outcome = await runJobWithProgress(client, 'sd/sdprompt.run', params, 'run');
      if (!outcome.result) {
        process.stderr.write(`sd-studio run: ${outcome.error}\n`);
        return 1;
      }
      const r = outcome.result;
      if (f.json === true) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      for (const s of r.specs) {
        const name = `spec ${s.index + 1} (line ${s.line + 1}${s.title ? `, "${s.title}"` : ''})`;
        if (s.warning) process.stderr.write(`sd-studio run: ${name}: warning: ${s.warning}\n`);
        if (s.status === 'failed') process.stderr.write(`sd-studio run: ${name} failed: ${s.error}\n`);
        if (f.json === true) continue;
        process.stdout.write(`${s.status.padEnd(9)} ${name}${s.status === 'done' ? `: ${s.images.length} image${s.images.length === 1 ? '' : 's'}` : s.error ? `: ${s.error}` : ''}\n`);
        for (const img of s.images) process.stdout.write(`          ${img.path ?? '(not saved)'}\n`);
      }
      if (f.json !== true) process.stdout.write(`${r.done} of ${r.specs.length} specs done, ${r.failed} failed\n`);
      return r.failed > 0 ? 1 : 0;
    } catch (e) {
      process.stderr.write(`sd-studio run: ${errorMessage(e)}\n`);
      return 1;
    } finally {
      await client.stop();
    }
  },
};
