// `.sdprompt` files: one or more generation specs separated by `---` lines. A spec is an A1111 infotext
// (prompt, "Negative prompt:", parameters line — kept verbatim, so a pasted infotext just works) plus
// `@key: value` lines for what an infotext lacks, and `#` comments. See docs/sdprompt.md.
// The parser records positions (for the language server); print(parse(x)) parses back to the same specs.

import { findParams } from './a1111';
import { pyStrip } from './python';

export interface Pos { line: number; character: number }
export interface Range { start: Pos; end: Pos }

/** SD Studio keys an infotext lacks; paths are relative to the .sdprompt file. */
export const STUDIO_KEYS = ['init', 'mask', 'resize-mode', 'outdir', 'style', 'xyz'] as const;

export interface Directive { key: string; value: string }

/** What a spec holds (what the printer needs). */
export interface SpecData {
  comments: string[];
  directives: Directive[];
  prompt: string;
  /** null: no "Negative prompt:" line. */
  negativePrompt: string | null;
  /** The A1111 parameters line as written; null when the spec has none. */
  paramsLine: string | null;
}

export interface ParsedSpec extends SpecData {
  range: Range;
  directiveRanges: Array<{ key: Range; value: Range }>;
  /** Each `key: value` of the parameters line with its position (value as written, quotes included). */
  params: Array<{ key: string; value: string; keyRange: Range; valueRange: Range }>;
  promptRange: Range | null;
  negativeRange: Range | null;
  paramsRange: Range | null;
}

export interface SdPromptProblem { message: string; range: Range }
export interface SdPromptFile { specs: ParsedSpec[]; problems: SdPromptProblem[] }

const SEPARATOR = /^---[ \t]*$/;
const DIRECTIVE = /^@([A-Za-z][\w-]*)[ \t]*:[ \t]?(.*)$/;
/** Lines that would read as syntax get one more leading backslash on print, one less on parse. */
const NEEDS_ESCAPE = /^\\*(?:[#@]|---[ \t]*$)/;

const range = (l1: number, c1: number, l2: number, c2: number): Range => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });

export function parseSdPrompt(text: string): SdPromptFile {
  const lines = text.split(/\r?\n/);
  const specs: ParsedSpec[] = [];
  const problems: SdPromptProblem[] = [];
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i === lines.length || SEPARATOR.test(lines[i]!)) {
      const spec = parseSpec(lines, start, i, problems);
      if (spec) specs.push(spec);
      start = i + 1;
    }
  }
  return { specs, problems };
}

function parseSpec(lines: string[], from: number, to: number, problems: SdPromptProblem[]): ParsedSpec | null {
  const comments: string[] = [];
  const directives: Directive[] = [];
  const directiveRanges: ParsedSpec['directiveRanges'] = [];
  const body: Array<{ text: string; line: number; shift: number }> = [];
  for (let i = from; i < to; i++) {
    const l = lines[i]!;
    if (l.startsWith('#')) comments.push(l.slice(1));
    else if (l.startsWith('@')) {
      const m = DIRECTIVE.exec(l);
      if (!m) {
        problems.push({ message: 'expected "@key: value" (write "\\@" to start a prompt line with @)', range: range(i, 0, i, l.length) });
        continue;
      }
      const key = m[1]!, raw = m[2]!; // DIRECTIVE's two mandatory groups
      const value = raw.trimEnd();
      const vStart = l.length - raw.length;
      directives.push({ key, value });
      directiveRanges.push({ key: range(i, 1, i, 1 + key.length), value: range(i, vStart, i, vStart + value.length) });
      if (!(STUDIO_KEYS as readonly string[]).includes(key)) {
        problems.push({ message: `unknown key "@${key}" (known: ${STUDIO_KEYS.map((k) => `@${k}`).join(', ')})`, range: range(i, 0, i, 1 + key.length) });
      }
    } else {
      const unescaped = NEEDS_ESCAPE.test(l) ? l.slice(1) : l;
      body.push({ text: unescaped, line: i, shift: l.length - unescaped.length });
    }
  }
  // Blank lines around the text (e.g. before a `---`) are layout, not prompt.
  while (body.length && pyStrip(body[0]!.text) === '') body.shift();
  while (body.length && pyStrip(body[body.length - 1]!.text) === '') body.pop();
  if (!body.length && !directives.length && !comments.length) return null;

  const spec: ParsedSpec = {
    comments, directives, prompt: '', negativePrompt: null, paramsLine: null,
    range: range(from, 0, Math.max(from, to - 1), lines[Math.max(from, to - 1)]?.length ?? 0),
    directiveRanges, params: [], promptRange: null, negativeRange: null, paramsRange: null,
  };
  const last = body[body.length - 1];
  if (last && findParams(last.text).length >= 3) {
    body.pop();
    spec.paramsLine = last.text;
    spec.paramsRange = range(last.line, last.shift, last.line, last.shift + last.text.length);
    spec.params = paramPositions(last.text, last.line, last.shift);
  }
  const neg = body.findIndex((b) => pyStrip(b.text).startsWith('Negative prompt:'));
  const promptLines = neg < 0 ? body : body.slice(0, neg);
  spec.prompt = promptLines.map((b) => b.text).join('\n');
  if (promptLines.length) {
    const p = promptLines[promptLines.length - 1]!;
    spec.promptRange = range(promptLines[0]!.line, 0, p.line, p.shift + p.text.length);
  }
  if (neg >= 0) {
    const first = body[neg]!;
    const after = first.text.slice(first.text.indexOf('Negative prompt:') + 16);
    const skip = after.startsWith(' ') ? 1 : 0; // the one space A1111 writes after the colon
    spec.negativePrompt = [after.slice(skip), ...body.slice(neg + 1).map((b) => b.text)].join('\n');
    const endLine = body[body.length - 1]!;
    const col = first.shift + first.text.length - after.length + skip;
    spec.negativeRange = range(first.line, col, endLine.line, endLine.shift + endLine.text.length);
  }
  return spec;
}

/** Key and value ranges of each `re_param` match of a parameters line. */
function paramPositions(line: string, lineNo: number, shift: number): ParsedSpec['params'] {
  const out: ParsedSpec['params'] = [];
  let at = 0;
  for (const [key, value] of findParams(line)) {
    const k = line.indexOf(key, at);
    const v = line.indexOf(value, k + key.length + 1);
    const vEnd = v + value.length;
    out.push({ key, value, keyRange: range(lineNo, shift + k, lineNo, shift + k + key.length), valueRange: range(lineNo, shift + v, lineNo, shift + vEnd) });
    at = vEnd;
  }
  return out;
}

/** The spec's infotext, exactly as it would be stored in an image. */
export function specInfotext(s: Pick<SpecData, 'prompt' | 'negativePrompt' | 'paramsLine'>): string {
  let t = s.prompt;
  if (s.negativePrompt !== null) t += `\nNegative prompt: ${s.negativePrompt}`;
  if (s.paramsLine !== null) t += `\n${s.paramsLine}`;
  // create_infotext strips the whole text: an empty prompt leaves no leading newline.
  return s.prompt === '' ? t.replace(/^\n/, '') : t;
}

/** A spec from an infotext (e.g. an image's): printing it reproduces the infotext verbatim. */
export function specFromInfotext(infotext: string, directives: Directive[] = [], comments: string[] = []): SpecData {
  const parsed = parseSpec(infotext.split('\n').map((l) => (NEEDS_ESCAPE.test(l) ? `\\${l}` : l)), 0, infotext.split('\n').length, []);
  return {
    comments, directives,
    prompt: parsed?.prompt ?? '', negativePrompt: parsed?.negativePrompt ?? null, paramsLine: parsed?.paramsLine ?? null,
  };
}

export function printSdPrompt(specs: SpecData[]): string {
  return specs.map((s) => {
    const out: string[] = [];
    for (const c of s.comments) out.push(`#${c}`);
    for (const d of s.directives) out.push(`@${d.key}: ${d.value}`);
    for (const l of specInfotext(s).split('\n')) out.push(NEEDS_ESCAPE.test(l) ? `\\${l}` : l);
    return out.join('\n');
  }).join('\n---\n') + '\n';
}

/** The printable part of a parsed spec (drops positions): what identity tests compare. */
export function specData(s: SpecData): SpecData {
  return { comments: s.comments, directives: s.directives.map(({ key, value }) => ({ key, value })), prompt: s.prompt, negativePrompt: s.negativePrompt, paramsLine: s.paramsLine };
}
