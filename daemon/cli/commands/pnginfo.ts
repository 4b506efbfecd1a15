import { dirname, relative, resolve } from 'node:path';
import { isReadOk } from '../../infotext/readInfo';
import { printSdPrompt, type SpecData } from '../../infotext/sdprompt';
import { specFromInfo } from '../../infotext/toSpec';
import { writeFileAtomic } from '../../infotext/writeInfo';
import { readInfoOrProblem } from '../../handlers/pngInfo';
import type { PngInfo } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import type { CliCommand } from '../command';

const flags: Record<string, FlagSpec> = {
  json: { kind: 'boolean', help: 'one JSON object per file, per line' },
  'to-sdprompt': { kind: 'string', help: 'write the files\' settings as specs of a .sdprompt file' },
};

/** The `--json` shape of the issue: fixed keys first, null where absent. */
function jsonOf(i: PngInfo): object {
  return {
    file: i.file, format: i.format, prompt: i.prompt, negativePrompt: i.negativePrompt, steps: i.steps, sampler: i.sampler,
    scheduleType: i.scheduleType, cfgScale: i.cfgScale, seed: i.seed, width: i.width, height: i.height, modelHash: i.modelHash,
    model: i.model, denoisingStrength: i.denoisingStrength, parameters: i.parameters, raw: i.raw, problems: i.problems,
  };
}

function textOf(i: PngInfo): string {
  const out = [`${i.file}: ${i.format === 'none' ? 'no generation settings' : `${i.generator ?? i.format} (${i.source})`}`];
  if (i.infotext !== null) out.push(i.infotext);
  else if (i.format !== 'none') {
    out.push(i.prompt ?? '');
    if (i.negativePrompt !== null) out.push(`Negative prompt: ${i.negativePrompt}`);
    out.push(['steps', 'sampler', 'scheduleType', 'cfgScale', 'seed', 'width', 'height', 'model', 'modelHash', 'denoisingStrength']
      .filter((k) => i[k as keyof PngInfo] !== null).map((k) => `${k}: ${String(i[k as keyof PngInfo])}`).join(', '));
  }
  for (const p of i.problems) out.push(`  ! ${p}`);
  return `${out.join('\n')}\n`;
}

/**
 * `sd-studio pnginfo FILE...`: reads metadata in this process (the same library `sd/pngInfo.read` serves):
 * no model and no daemon state is involved, and it keeps 1000 files well under a second or two.
 */
export const pnginfoCommand: CliCommand = {
  name: 'pnginfo',
  summary: 'show the generation settings stored in images (A1111, ComfyUI, InvokeAI, NovelAI, ...)',
  usage: () => usageText('pnginfo', 'FILE... [--json] [--to-sdprompt OUT.sdprompt]', flags),
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, flags, true);
    if (!positionals.length) throw new UsageError('give at least one image file');
    let failed = 0;
    const specs: SpecData[] = [];
    const out = typeof f['to-sdprompt'] === 'string' ? resolve(f['to-sdprompt']) : undefined;
    for (const file of positionals) {
      const info = readInfoOrProblem(file);
      if (!isReadOk(info)) failed++;
      if (f.json) process.stdout.write(`${JSON.stringify(jsonOf(info))}\n`);
      else if (!out) process.stdout.write(textOf(info));
      if (!isReadOk(info) && (f.json || out)) process.stderr.write(`${file}: ${info.problems.join('; ') || 'no generation settings'}\n`);
      if (out) {
        const spec = specFromInfo(info, [{ key: 'init', value: relative(dirname(out), resolve(file)).split('\\').join('/') }]);
        if (spec) specs.push(spec);
      }
    }
    if (out) {
      if (!specs.length) throw new Error('no file had generation settings: nothing written');
      writeFileAtomic(out, new TextEncoder().encode(printSdPrompt(specs)));
      process.stderr.write(`wrote ${specs.length} spec${specs.length > 1 ? 's' : ''} to ${out}\n`);
    }
    return failed ? 1 : 0;
  },
};
