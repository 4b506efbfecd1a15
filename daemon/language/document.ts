/**
 * A `.sdprompt` document as the language features see it: the specs of `parseSdPrompt`, and for each spec's
 * prompt and negative prompt a map between offsets in the prompt text (what the prompt parser reports) and
 * line/character positions in the file (what LSP speaks). Pure.
 */
import { parseSdPrompt, type ParsedSpec, type Pos, type Range, type SdPromptProblem } from '../infotext/sdprompt';

/** Lines that would read as syntax carry one extra leading backslash in the file (docs/sdprompt.md). */
const NEEDS_ESCAPE = /^\\*(?:[#@]|---[ \t]*$)/;
/** Comment and `@key` lines are not prompt text, wherever they stand in a spec. */
const isMetaLine = (l: string): boolean => l.startsWith('#') || l.startsWith('@');

interface Segment {
  line: number;
  /** Column in the file where the segment's text starts. */
  col: number;
  /** Offset of the segment's first character in the region text. */
  start: number;
  length: number;
}

/** A prompt or negative prompt: its text and where each character stands in the file. */
export class PromptRegion {
  constructor(
    readonly kind: 'prompt' | 'negative',
    readonly text: string,
    private readonly segments: readonly Segment[],
  ) {}

  positionAt(offset: number): Pos {
    for (const s of this.segments) {
      if (offset <= s.start + s.length) return { line: s.line, character: s.col + Math.max(0, offset - s.start) };
    }
    const last = this.segments[this.segments.length - 1]!;
    return { line: last.line, character: last.col + last.length };
  }

  rangeOf(start: number, end: number): Range {
    return { start: this.positionAt(start), end: this.positionAt(end) };
  }

  /** The offset in the region text of a file position, or null when the position is outside the region. */
  offsetAt(pos: Pos): number | null {
    for (const s of this.segments) {
      if (s.line === pos.line && pos.character >= s.col && pos.character <= s.col + s.length) return s.start + pos.character - s.col;
    }
    return null;
  }
}

export interface SpecModel {
  index: number;
  spec: ParsedSpec;
  prompt: PromptRegion | null;
  negative: PromptRegion | null;
}

export interface SdPromptModel {
  lines: string[];
  specs: SpecModel[];
  problems: SdPromptProblem[];
}

/** Builds a region from body lines `from..to` (inclusive), the first read from `firstCol`; null if it does not match `expected`. */
function region(kind: PromptRegion['kind'], lines: readonly string[], from: number, to: number, firstCol: number, expected: string): PromptRegion | null {
  const segments: Segment[] = [];
  let offset = 0;
  const parts: string[] = [];
  for (let i = from; i <= to; i++) {
    const l = lines[i] ?? '';
    if (isMetaLine(l)) continue;
    const col = i === from ? firstCol : NEEDS_ESCAPE.test(l) ? 1 : 0;
    const text = l.slice(col);
    if (segments.length) offset += 1; // the "\n" joining lines
    segments.push({ line: i, col, start: offset, length: text.length });
    parts.push(text);
    offset += text.length;
  }
  if (!segments.length || parts.join('\n') !== expected) return null;
  return new PromptRegion(kind, expected, segments);
}

export function analyzeSdPrompt(text: string): SdPromptModel {
  const lines = text.split(/\r?\n/);
  const { specs, problems } = parseSdPrompt(text);
  return {
    lines,
    problems,
    specs: specs.map((spec, index) => {
      let prompt: PromptRegion | null = null;
      if (spec.promptRange) {
        const first = lines[spec.promptRange.start.line] ?? '';
        prompt = region('prompt', lines, spec.promptRange.start.line, spec.promptRange.end.line, NEEDS_ESCAPE.test(first) ? 1 : 0, spec.prompt);
      }
      let negative: PromptRegion | null = null;
      if (spec.negativeRange && spec.negativePrompt !== null) {
        negative = region('negative', lines, spec.negativeRange.start.line, spec.negativeRange.end.line, spec.negativeRange.start.character, spec.negativePrompt);
      }
      return { index, spec, prompt, negative };
    }),
  };
}

/** The spec whose lines hold `line` (a spec's range runs from its first line to the line before its `---`). */
export function specAtLine(model: SdPromptModel, line: number): SpecModel | undefined {
  return model.specs.find((s) => line >= s.spec.range.start.line && line <= s.spec.range.end.line);
}

/** The prompt region (positive or negative) that contains `pos`, with the offset there. */
export function regionAt(model: SdPromptModel, pos: Pos): { spec: SpecModel; region: PromptRegion; offset: number } | undefined {
  for (const spec of model.specs) {
    for (const r of [spec.prompt, spec.negative]) {
      const offset = r?.offsetAt(pos);
      if (r && offset !== null && offset !== undefined) return { spec, region: r, offset };
    }
  }
  return undefined;
}

export const inRange = (r: Range, p: Pos): boolean =>
  (p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character)) &&
  (p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character));
