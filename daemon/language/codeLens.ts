/**
 * "▶ Generate" and "Generate ×4 seeds" above each spec ("▶ Generate X/Y/Z plot" for a spec with `@xyz` lines).
 * The command ids are the extension's (package.json); the arguments are the document URI, the spec index (`---`
 * lines above it), the spec's `sd/img2img` params (resolved here so the extension never parses `.sdprompt`
 * itself), the spec's line span, and its X/Y/Z axes when it has any. Pure.
 */
import type { CodeLens } from 'vscode-languageserver';
import type { SdPromptModel } from './document';
import { specParams, specXyz } from './specParams';

const SEPARATOR = /^---[ \t]*$/;

export const GENERATE_COMMAND = 'sdStudio.generateSpec';
export const GENERATE_SEEDS_COMMAND = 'sdStudio.generateSpecSeeds';

/**
 * The specs that can run (a prompt, a parameters line or an `@init`), each with its index, which counts the `---`
 * lines above it (as the preview panel's cursor tracking and `sd-studio run --only` do), and its first line
 * that is not a comment. Shared by the lenses and `sd/sdprompt.run`.
 */
export function runnableSpecs(model: SdPromptModel): Array<{ index: number; line: number; spec: SdPromptModel['specs'][number]['spec'] }> {
  const out: Array<{ index: number; line: number; spec: SdPromptModel['specs'][number]['spec'] }> = [];
  for (const s of model.specs) {
    const spec = s.spec;
    if (spec.prompt === '' && spec.paramsLine === null && !spec.directives.some((d) => d.key === 'init')) continue;
    let line = spec.range.start.line;
    while (line < spec.range.end.line && (model.lines[line] ?? '').startsWith('#')) line++;
    out.push({ index: model.lines.slice(0, spec.range.start.line).filter((l) => SEPARATOR.test(l)).length, line, spec });
  }
  return out;
}

export function sdPromptCodeLenses(model: SdPromptModel, uri: string, docDir: string | null): CodeLens[] {
  const out: CodeLens[] = [];
  for (const { index, line, spec } of runnableSpecs(model)) {
    // Above the spec's first line that is not a comment.
    const range = { start: { line, character: 0 }, end: { line, character: 0 } };
    const xyz = specXyz(spec);
    const args = [uri, index, specParams(spec, docDir), { startLine: spec.range.start.line, endLine: spec.range.end.line }, ...(xyz ? [xyz] : [])];
    out.push({ range, command: { title: xyz ? '▶ Generate X/Y/Z plot' : '▶ Generate', command: GENERATE_COMMAND, arguments: args } });
    if (!xyz) out.push({ range, command: { title: 'Generate ×4 seeds', command: GENERATE_SEEDS_COMMAND, arguments: args } });
  }
  return out;
}
