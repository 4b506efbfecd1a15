import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DaemonSettings, ExtrasParams } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec, type FlagValues } from '../args';
import { DaemonClient, errorMessage, exitCodeFor } from '../client';
import type { CliCommand } from '../command';
import { runJobWithProgress } from '../runJob';

const SYNOPSIS =
  'FILE... [--scale N | --width W --height H [--crop]] [--upscaler NAME] [--upscaler2 NAME --upscaler2-visibility V] ' +
  '[--face-restorer gfpgan|codeformer --face-visibility V --codeformer-weight W] --out DIR';

const flags: Record<string, FlagSpec> = {
  scale: { kind: 'number', help: 'scale by (default 4)' },
  width: { kind: 'int', help: 'scale to this width (with --height)' },
  height: { kind: 'int', help: 'scale to this height (with --width)' },
  crop: { kind: 'boolean', help: 'scale to: crop to exactly W×H (centred)' },
  upscaler: { kind: 'string', help: 'upscaler name: the built-in model (default), Lanczos, Nearest, None, or a model of yours' },
  upscaler2: { kind: 'string', help: 'second upscaler, blended in' },
  'upscaler2-visibility': { kind: 'number', help: 'share of upscaler 2 in the result, 0..1' },
  'face-restorer': { kind: 'string', help: 'gfpgan or codeformer' },
  'face-visibility': { kind: 'number', help: 'face restoration strength 0..1 (default 1 with --face-restorer)' },
  'codeformer-weight': { kind: 'number', help: 'CodeFormer weight 0..1, 0 = strongest (default 0)' },
  'faces-debug': { kind: 'string', help: 'write each aligned face crop and its restored face as PNGs into this folder' },
  out: { kind: 'string', short: 'o', help: 'output folder (results keep their source names)' },
  'tile-size': { kind: 'int', help: 'upscaler tile size in pixels, 0 = no tiling (default 192)' },
  'tile-overlap': { kind: 'int', help: 'upscaler tile overlap in pixels (default 8)' },
  'models-root': { kind: 'string', help: 'models root with ESRGAN/, RealESRGAN/, ... (default $SD_STUDIO_MODELS_ROOT)' },
  json: { kind: 'boolean', help: 'print the result as JSON' },
};

/** FILE arguments: files as given, folders as every file in them (non-recursive, sorted, as A1111's batch). */
function expandInputs(args: string[]): string[] {
  return args.flatMap((a) => {
    const p = resolve(a);
    if (existsSync(p) && statSync(p).isDirectory()) return readdirSync(p).sort().map((n) => join(p, n)).filter((f) => statSync(f).isFile());
    return [p];
  });
}

export function extrasParamsFromFlags(f: FlagValues, files: string[]): ExtrasParams {
  if (files.length === 0) throw new UsageError('no input files');
  if (typeof f.out !== 'string' || !f.out) throw new UsageError('--out DIR is required');
  const to = f.width !== undefined || f.height !== undefined;
  if (to && (f.width === undefined || f.height === undefined)) throw new UsageError('--width and --height go together');
  if (to && f.scale !== undefined) throw new UsageError('give either --scale or --width/--height, not both');
  if (f.crop && !to) throw new UsageError('--crop needs --width and --height');
  if (f['upscaler2-visibility'] !== undefined && f.upscaler2 === undefined) throw new UsageError('--upscaler2-visibility needs --upscaler2');
  const restorer = f['face-restorer'];
  if (restorer !== undefined && restorer !== 'gfpgan' && restorer !== 'codeformer') throw new UsageError(`--face-restorer: expected gfpgan or codeformer, got "${String(restorer)}"`);
  const p: ExtrasParams = { images: expandInputs(files), output_dir: resolve(f.out) };
  if (to) Object.assign(p, { resize_mode: 1, upscaling_resize_w: f.width, upscaling_resize_h: f.height, upscaling_crop: f.crop === true });
  else if (f.scale !== undefined) Object.assign(p, { resize_mode: 0, upscaling_resize: f.scale });
  if (typeof f.upscaler === 'string') p.upscaler_1 = f.upscaler;
  if (typeof f.upscaler2 === 'string') {
    p.upscaler_2 = f.upscaler2;
    p.extras_upscaler_2_visibility = (f['upscaler2-visibility'] as number | undefined) ?? 0.5;
  }
  const visibility = f['face-visibility'] as number | undefined;
  if (restorer === 'gfpgan') p.gfpgan_visibility = visibility ?? 1;
  else if (restorer === 'codeformer') p.codeformer_visibility = visibility ?? 1;
  else if (visibility !== undefined) p.face_visibility = visibility;
  if (f['codeformer-weight'] !== undefined) p.codeformer_weight = f['codeformer-weight'] as number;
  if (typeof f['faces-debug'] === 'string') p.faces_debug_dir = resolve(f['faces-debug']);
  return p;
}

function settingsFromFlags(f: FlagValues): Partial<DaemonSettings> {
  const s: Partial<DaemonSettings> = {};
  if (typeof f['tile-size'] === 'number') s.upscalerTileSize = f['tile-size'];
  if (typeof f['tile-overlap'] === 'number') s.upscalerTileOverlap = f['tile-overlap'];
  if (typeof f['models-root'] === 'string') s.modelsRoot = resolve(f['models-root']);
  return s;
}

export const extrasCommand: CliCommand = {
  name: 'extras',
  summary: 'upscale (AI model built in, tiled) and restore faces, one file or a whole folder, keeping PNG info',
  usage: () => usageText('extras', SYNOPSIS, flags),
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, flags, { allowPositionals: true, numbersCheckedByDaemon: true });
    const params = extrasParamsFromFlags(f, positionals);
    const client = await DaemonClient.start(settingsFromFlags(f));
    try {
      const outcome = await runJobWithProgress(client, 'sd/extras', params, 'extras');
      if (!outcome.result) {
        process.stderr.write(`sd-studio: ${outcome.error}\n`);
        return outcome.exitCode ?? 1;
      }
      const r = outcome.result;
      if (f.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      for (const n of r.notices ?? []) process.stderr.write(`sd-studio: note: ${n}\n`);
      for (const img of r.images) {
        if (img.error !== undefined) process.stderr.write(`sd-studio: ${img.source}: ${img.error}\n`);
        else if (!f.json) process.stdout.write(`${img.path ?? '(not saved)'}\n`);
      }
      if (r.failed) process.stderr.write(`sd-studio: ${r.failed} of ${r.images.length} images failed\n`);
      return r.failed ? 1 : 0;
    } catch (e) {
      process.stderr.write(`sd-studio: ${errorMessage(e)}\n`);
      return exitCodeFor(e);
    } finally {
      await client.stop();
    }
  },
};
