import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { OutputExistsError, writeFileAtomicSync, writeNewFileSync } from '../../../models/formats/atomicFile';
import type { PngInfo } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import { DaemonClient } from '../client';
import type { CliCommand } from '../command';

const flags: Record<string, FlagSpec> = {
  json: { kind: 'boolean', help: 'one JSON object per file, per line' },
  'to-sdprompt': { kind: 'string', help: 'write the files\' settings as specs of a .sdprompt file' },
  overwrite: { kind: 'boolean', help: 'with --to-sdprompt: replace the file if it exists (by default an existing file is refused)' },
};

/**
 * The published `--json` shape (outside checks read it): fixed keys first (never renamed), null where absent; later
 * keys only added.
 */
function jsonOf(i: PngInfo): object {
  return {
    file: i.file, format: i.format, prompt: i.prompt, negativePrompt: i.negativePrompt, steps: i.steps, sampler: i.sampler,
    scheduleType: i.scheduleType, cfgScale: i.cfgScale, seed: i.seed, width: i.width, height: i.height, modelHash: i.modelHash,
    model: i.model, denoisingStrength: i.denoisingStrength, generator: i.generator, guessed: i.guessed, source: i.source, container: i.container,
    parameters: i.parameters, raw: i.raw, problems: i.problems,
  };
}

function textOf(i: PngInfo, warning: string | null): string {
  const origin = `${i.generator ?? i.format} (${i.source})${i.guessed ? ' — GUESSED from JSON no known generator writes: check these settings' : ''}`;
  const out = [`${i.file}: ${i.format === 'none' ? 'no generation settings' : origin}`];
  if (i.infotext !== null) out.push(i.infotext);
  else if (i.format !== 'none') {
    out.push(i.prompt ?? '');
    if (i.negativePrompt !== null) out.push(`Negative prompt: ${i.negativePrompt}`);
    const settings = ['steps', 'sampler', 'scheduleType', 'cfgScale', 'seed', 'width', 'height', 'model', 'modelHash', 'denoisingStrength']
      .filter((k) => i[k as keyof PngInfo] !== null).map((k) => `${k}: ${String(i[k as keyof PngInfo])}`).join(', ');
    out.push(settings || '(no generation settings recorded: prompt only)');
  }
  for (const p of i.problems) out.push(`  ! ${p}`);
  if (warning !== null) out.push(`  note (send to img2img): ${warning}`);
  return `${out.join('\n')}\n`;
}

/** Settings read without damage (the exit status counts the other files). */
const readOk = (i: PngInfo): boolean => i.format !== 'none' && i.problems.length === 0;

/**
 * `sd-studio pnginfo FILE...`: a client of the daemon like the other commands — `sd/pngInfo.read` for all files
 * in one request, `sd/sdprompt.fromImage` per file for `--to-sdprompt` — so the CLI, the panels and the language
 * server read metadata through one path. Starting the daemon costs well under a second; reading stays metadata only.
 */
export const pnginfoCommand: CliCommand = {
  name: 'pnginfo',
  summary: 'show the generation settings stored in images (A1111, ComfyUI, InvokeAI, NovelAI, ...)',
  usage: () => usageText('pnginfo', 'FILE... [--json] [--to-sdprompt OUT.sdprompt [--overwrite]]', flags),
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, flags, true);
    if (!positionals.length) throw new UsageError('give at least one image file');
    const out = typeof f['to-sdprompt'] === 'string' ? resolve(f['to-sdprompt']) : undefined;
    if (f.overwrite && !out) throw new UsageError('--overwrite goes with --to-sdprompt');
    // Refused before anything is read: the spec file never replaces what is there unless asked.
    if (out && !f.overwrite && existsSync(out)) throw new OutputExistsError(out);
    const client = await DaemonClient.start();
    try {
      const { infos, warnings } = await client.request('sd/pngInfo.read', { files: positionals.map((p) => resolve(p)) });
      let failed = 0;
      const specs: string[] = [];
      for (const [k, file] of positionals.entries()) {
        const read = infos[k];
        if (!read) throw new Error(`the daemon answered for ${infos.length} of ${positionals.length} files`);
        const info = { ...read, file }; // named as given on the command line
        if (!readOk(info)) failed++;
        if (f.json) process.stdout.write(`${JSON.stringify(jsonOf(info))}\n`);
        else if (!out) process.stdout.write(textOf(info, warnings[k] ?? null));
        if (!readOk(info) && (f.json || out)) process.stderr.write(`${file}: ${info.problems.join('; ') || 'no generation settings'}\n`);
        if (out) {
          // One spec per image, `@init` relative to the .sdprompt file's folder.
          const { text } = await client.request('sd/sdprompt.fromImage', { file: resolve(file), sdpromptFile: out });
          if (text !== null) specs.push(text);
        }
      }
      if (out) {
        if (!specs.length) throw new Error('no file had generation settings: nothing written');
        // Each printed spec ends with a newline; a `---` line separates specs in a .sdprompt file.
        const text = new TextEncoder().encode(specs.join('---\n'));
        if (f.overwrite) writeFileAtomicSync(out, text);
        else if (!writeNewFileSync(out, text)) throw new OutputExistsError(out);
        process.stderr.write(`wrote ${specs.length} spec${specs.length > 1 ? 's' : ''} to ${out}\n`);
      }
      return failed ? 1 : 0;
    } finally {
      await client.stop();
    }
  },
};
