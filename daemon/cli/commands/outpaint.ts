import type { OutpaintParams } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import { DaemonClient, errorMessage, exitCodeFor } from '../client';
import type { CliCommand } from '../command';
import { printImagesOutcome, runJobWithProgress } from '../runJob';
import { daemonSettingsFromFlags, img2imgFlags, paramsFromFlags } from './img2img';

const flags: Record<string, FlagSpec> = {
  ...img2imgFlags,
  method: { kind: 'string', help: 'poor-man (default) | mk2 | resize-and-fill (fit into --width×--height, bars inpainted)' },
  pixels: { kind: 'int', help: 'pixels to expand (default 128)' },
  directions: { kind: 'string', help: 'comma list of left,right,up,down (default all)' },
  'outpaint-mask-blur': { kind: 'number', help: 'the script\'s mask blur (default 4; mk2 8)' },
  'color-variation': { kind: 'number', help: 'mk2: colour variation of the new area 0..1 (default 0.05)' },
};

export const outpaintCommand: CliCommand = {
  name: 'outpaint',
  summary: 'grow an image and inpaint the new area (A1111 Poor man\'s outpainting, Outpainting mk2, resize-and-fill)',
  usage: () => usageText('outpaint', '-i IMAGE [options]', flags),
  async run(argv) {
    const { flags: f } = parseFlags(argv, flags, { numbersCheckedByDaemon: true });
    const p: OutpaintParams = paramsFromFlags(f);
    if (!p.init_images?.length) throw new UsageError('outpaint needs --init-image');
    if (typeof f.method === 'string') p.outpaint_method = f.method as OutpaintParams['outpaint_method'];
    if (f.pixels !== undefined) p.pixels = f.pixels as number;
    if (typeof f.directions === 'string') p.directions = f.directions.split(',').map((d) => d.trim()) as OutpaintParams['directions'];
    if (f['outpaint-mask-blur'] !== undefined) p.outpaint_mask_blur = f['outpaint-mask-blur'] as number;
    if (f['color-variation'] !== undefined) p.color_variation = f['color-variation'] as number;
    const client = await DaemonClient.start(daemonSettingsFromFlags(f));
    try {
      return printImagesOutcome(await runJobWithProgress(client, 'sd/outpaint', p, 'outpaint'), f.json === true);
    } catch (e) {
      process.stderr.write(`sd-studio: ${errorMessage(e)}\n`);
      return exitCodeFor(e);
    } finally {
      await client.stop();
    }
  },
};
