import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DaemonSettings, InterrogateMethod, InterrogateParams, InterrogateSettings } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec, type FlagValues } from '../args';
import { DaemonClient, errorMessage } from '../client';
import type { CliCommand } from '../command';
import { runJobWithProgress } from '../runJob';

const SYNOPSIS = 'IMAGE... [--method clip|deepbooru|wd14] [--json] [--write | --out DIR] [--overwrite]';

const flags: Record<string, FlagSpec> = {
  method: { kind: 'string', help: 'clip (BLIP caption + CLIP term ranking, default), deepbooru or wd14' },
  json: { kind: 'boolean', help: 'print the result as JSON (captions, matches and tags with scores)' },
  write: { kind: 'boolean', help: 'write each caption to <image stem>.txt beside the image' },
  out: { kind: 'string', short: 'o', help: 'write each caption to DIR/<image stem>.txt' },
  overwrite: { kind: 'boolean', help: 'replace existing .txt files (default: keep them, report the image as skipped)' },
  'num-beams': { kind: 'int', help: 'clip: BLIP beams (A1111 interrogate_clip_num_beams, default 1)' },
  'min-length': { kind: 'int', help: 'clip: minimum caption length in tokens (default 24)' },
  'max-length': { kind: 'int', help: 'clip: maximum caption length in tokens (default 48)' },
  'dict-limit': { kind: 'int', help: 'clip: lines used from each term list, 0 = all (default 1500)' },
  'skip-categories': { kind: 'string', help: 'clip: comma-separated term lists not to rank (file stems, e.g. "artists,flavors")' },
  ranks: { kind: 'boolean', help: 'write each match / tag with its score: (term:0.123)' },
  threshold: { kind: 'number', help: 'deepbooru: tag score threshold (default 0.5); wd14: general tag threshold (default 0.35)' },
  sort: { kind: 'string', help: 'deepbooru: alpha (default) or score' },
  'no-spaces': { kind: 'boolean', help: 'deepbooru / wd14: keep underscores in tags' },
  'no-escape': { kind: 'boolean', help: 'deepbooru / wd14: do not backslash-escape ( ) \\' },
  'filter-tags': { kind: 'string', help: 'deepbooru / wd14: comma-separated tags to leave out' },
  'wd14-model': { kind: 'string', help: 'wd14: which tagger (folder or repo name; default the first found)' },
  'keep-models': { kind: 'boolean', help: 'keep the models loaded (only matters inside one daemon)' },
  'models-root': { kind: 'string', help: 'A1111 install or models folder (default $SD_STUDIO_MODELS_ROOT)' },
};

const METHODS = ['clip', 'deepbooru', 'deepdanbooru', 'wd14'];

/** Flags → the request's interrogate settings (only what was given; the daemon fills A1111's defaults). */
function settingsFromFlags(f: FlagValues, method: InterrogateMethod): Partial<InterrogateSettings> {
  const s: Partial<InterrogateSettings> = {};
  const num = (k: string): number | undefined => (f[k] === undefined ? undefined : (f[k] as number));
  if (num('num-beams') !== undefined) s.clipNumBeams = num('num-beams');
  if (num('min-length') !== undefined) s.clipMinLength = num('min-length');
  if (num('max-length') !== undefined) s.clipMaxLength = num('max-length');
  if (num('dict-limit') !== undefined) s.clipDictLimit = num('dict-limit');
  if (typeof f['skip-categories'] === 'string') s.clipSkipCategories = f['skip-categories'].split(',').map((x) => x.trim()).filter(Boolean);
  if (f.ranks) s.returnRanks = true;
  if (num('threshold') !== undefined) s[method === 'wd14' ? 'wd14Threshold' : 'deepbooruThreshold'] = num('threshold');
  if (f.sort !== undefined) {
    if (f.sort !== 'alpha' && f.sort !== 'score') throw new UsageError(`--sort: expected alpha or score, got "${String(f.sort)}"`);
    s.deepbooruSortAlpha = f.sort === 'alpha';
  }
  if (f['no-spaces']) s.deepbooruUseSpaces = false;
  if (f['no-escape']) s.deepbooruEscape = false;
  if (typeof f['filter-tags'] === 'string') s.deepbooruFilterTags = f['filter-tags'];
  if (typeof f['wd14-model'] === 'string') s.wd14Model = f['wd14-model'];
  if (f['keep-models']) s.keepModelsInMemory = true;
  return s;
}

export function interrogateParamsFromFlags(f: FlagValues, args: string[]): InterrogateParams {
  if (args.length === 0) throw new UsageError('no images (give image files or a folder)');
  const method = (f.method as string | undefined) ?? 'clip';
  if (!METHODS.includes(method)) throw new UsageError(`--method: expected clip, deepbooru or wd14, got "${method}"`);
  if (f.write && f.out) throw new UsageError('give --write or --out, not both');
  const p: InterrogateParams = { model: method as InterrogateParams['model'] };
  for (const a of args) {
    const path = resolve(a);
    if (existsSync(path) && statSync(path).isDirectory()) {
      if (p.input_dir) throw new UsageError('one folder at a time');
      p.input_dir = path;
    } else (p.images ??= []).push(path);
  }
  if (typeof f.out === 'string') p.output_dir = resolve(f.out);
  if (f.write) p.write_captions = true;
  if (f.overwrite) p.overwrite = true;
  const s = settingsFromFlags(f, method === 'wd14' ? 'wd14' : method === 'clip' ? 'clip' : 'deepbooru');
  if (Object.keys(s).length) p.settings = s;
  return p;
}

export const interrogateCommand: CliCommand = {
  name: 'interrogate',
  summary: 'describe images as A1111 does: Interrogate CLIP (BLIP + CLIP), DeepBooru or WD14 tags; a folder writes .txt captions',
  usage: () => usageText('interrogate', SYNOPSIS, flags),
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, flags, { allowPositionals: true, numbersCheckedByDaemon: true });
    const params = interrogateParamsFromFlags(f, positionals);
    const settings: Partial<DaemonSettings> = typeof f['models-root'] === 'string' ? { modelsRoot: resolve(f['models-root']) } : {};
    const client = await DaemonClient.start(settings);
    try {
      const outcome = await runJobWithProgress(client, 'sd/interrogate', params, 'interrogate');
      if (!outcome.result) {
        process.stderr.write(`sd-studio interrogate: ${outcome.error}\n`);
        return 1;
      }
      const r = outcome.result;
      if (f.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      for (const n of r.notices ?? []) process.stderr.write(`sd-studio: note: ${n}\n`);
      const many = r.images.length > 1;
      for (const img of r.images) {
        if (img.error !== undefined) process.stderr.write(`sd-studio: ${img.source}: ${img.error}\n`);
        else if (img.skipped) process.stderr.write(`sd-studio: ${img.source}: skipped: ${img.skipped}\n`);
        if (!f.json && img.caption !== undefined) process.stdout.write(many ? `${img.source}\t${img.caption}\n` : `${img.caption}\n`);
      }
      if (r.failed) process.stderr.write(`sd-studio: ${r.failed} of ${r.images.length} images failed\n`);
      return r.failed ? 1 : 0;
    } catch (e) {
      process.stderr.write(`sd-studio interrogate: ${errorMessage(e)}\n`);
      return 1;
    } finally {
      await client.stop();
    }
  },
};
