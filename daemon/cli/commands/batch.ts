import type { BatchParams } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import { DaemonClient, errorMessage, exitCodeFor } from '../client';
import type { CliCommand } from '../command';
import { runJobWithProgress } from '../runJob';
import { daemonSettingsFromFlags, img2imgFlags, paramsFromFlags } from './img2img';

const { 'init-image': _init, infotext: _infotext, ...shared } = img2imgFlags;
const flags: Record<string, FlagSpec> = {
  input: { kind: 'string', help: 'input folder (walked recursively: png jpg jpeg webp tif tiff)' },
  output: { kind: 'string', help: 'output folder (NNNNN-<name>.png; never overwrites)' },
  'mask-dir': { kind: 'string', help: 'masks: one file for all, or <name>.* per image (images without one are skipped)' },
  'png-info': { kind: 'string', help: 'take these from each input\'s PNG info: comma list of Prompt, Negative prompt, Seed, CFG scale, Sampler, Steps; or "all"' },
  'png-info-dir': { kind: 'string', help: 'read the PNG info from same-named files here instead' },
  ...shared,
};

const PNG_FIELDS = ['Prompt', 'Negative prompt', 'Seed', 'CFG scale', 'Sampler', 'Steps'] as const;

export const batchCommand: CliCommand = {
  name: 'batch',
  summary: 'img2img / inpaint every image of a folder (A1111 batch tab); a report per file, exit 1 if any failed',
  usage: () => usageText('batch', '--input DIR --output DIR [--mask-dir DIR] [--png-info FIELDS] [img2img options]', flags),
  async run(argv) {
    const { flags: f } = parseFlags(argv, flags, { numbersCheckedByDaemon: true });
    if (typeof f.input !== 'string' || typeof f.output !== 'string') throw new UsageError('batch needs --input DIR and --output DIR');
    const params: BatchParams = { input_dir: f.input, output_dir: f.output, params: paramsFromFlags(f) };
    if (typeof f['mask-dir'] === 'string') params.mask_dir = f['mask-dir'];
    if (typeof f['png-info'] === 'string' || typeof f['png-info-dir'] === 'string') {
      const list = typeof f['png-info'] === 'string' && f['png-info'] !== 'all' ? f['png-info'].split(',').map((s) => s.trim()) : [...PNG_FIELDS];
      const bad = list.find((x) => !(PNG_FIELDS as readonly string[]).includes(x));
      if (bad) throw new UsageError(`--png-info: unknown field "${bad}" (expected ${PNG_FIELDS.join(', ')})`);
      params.png_info = { fields: list as (typeof PNG_FIELDS)[number][], ...(typeof f['png-info-dir'] === 'string' ? { dir: f['png-info-dir'] } : {}) };
    }
    const client = await DaemonClient.start(daemonSettingsFromFlags(f));
    try {
      const outcome = await runJobWithProgress(client, 'sd/batch', params, 'batch');
      if (!outcome.result) {
        process.stderr.write(`sd-studio: ${outcome.error}\n`);
        return outcome.exitCode ?? 1;
      }
      const r = outcome.result;
      if (f.json === true) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        for (const file of r.files) {
          process.stdout.write(`${file.status.padEnd(7)} ${file.input}${file.outputs.length ? ` → ${file.outputs.join(', ')}` : ''}${file.reason ? `: ${file.reason}` : ''}\n`);
        }
        process.stdout.write(`${r.done} done, ${r.failed} failed, ${r.skipped} skipped\n`);
      }
      return r.failed + r.skipped > 0 ? 1 : 0;
    } catch (e) {
      process.stderr.write(`sd-studio: ${errorMessage(e)}\n`);
      return exitCodeFor(e);
    } finally {
      await client.stop();
    }
  },
};
