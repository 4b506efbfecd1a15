/**
 * `parsePrompt`: the whole prompt as A1111 reads it — extra-network tags, AND parts, the prompt-editing tree —
 * with source offsets for every node, and diagnostics that say what A1111 silently accepts (and how it reads
 * it) versus what makes it fail. Never throws: this serves the language server on every keystroke.
 */
import { RE_BREAK, isPythonFloat } from './attention';
import { KNOWN_NETWORK_TYPES, parseExtraNetworks, readHypernet, readLora, type ExtraNetworkTag } from './extraNetworks';
import { splitAnd } from './multicond';
import { offsetsFor, resolveWhen } from './schedules';
import { parseScheduleSyntax, walkSyntax, type Span, type SyntaxNode } from './syntax';

export interface PromptDiagnostic extends Span {
  /** error: A1111 fails (generation stops); warning: accepted, but probably not what was meant; info: a note. */
  severity: 'error' | 'warning' | 'info';
  /** Whether A1111 accepts the prompt with this in it (silently, in its own way) or fails. */
  a1111: 'accepts' | 'fails';
  code: string;
  message: string;
}

export interface PromptPart extends Span {
  /** The AND part's text (tags removed) as A1111 keys it, and its weight. */
  text: string;
  weight: number;
  weightSpan: Span | null;
  /** The prompt-editing tree, offsets in the source text. */
  nodes: SyntaxNode[];
  /** BREAK keywords that start a new chunk. */
  breaks: Span[];
}

export interface PromptDocument {
  text: string;
  networks: ExtraNetworkTag[];
  parts: PromptPart[];
  diagnostics: PromptDiagnostic[];
}

export interface ParseOptions {
  /** Steps to judge `when` values against (A1111's default 20). */
  steps?: number;
  /** Negative prompts are not AND-split. */
  negative?: boolean;
}

/** Maps offsets in the tag-free text back to the source (tags removed before `i` shift it right). */
function offsetMapper(networks: readonly ExtraNetworkTag[]): (i: number, isEnd?: boolean) => number {
  const removed: { at: number; len: number }[] = [];
  let shift = 0;
  for (const t of networks) {
    removed.push({ at: t.start - shift, len: t.end - t.start });
    shift += t.end - t.start;
  }
  return (i, isEnd = false) => {
    let out = i;
    for (const r of removed) if (r.at < i || (!isEnd && r.at === i)) out += r.len;
    return out;
  };
}

function shiftNodes(nodes: SyntaxNode[], map: (i: number, isEnd?: boolean) => number, base: number): void {
  walkSyntax(nodes, (n) => {
    n.start = map(n.start + base);
    n.end = map(n.end + base, true);
    if (n.kind === 'scheduled') {
      n.when.start = map(n.when.start + base);
      n.when.end = map(n.when.end + base, true);
    }
  });
}

export function parsePrompt(text: string, options: ParseOptions = {}): PromptDocument {
  const steps = options.steps ?? 20;
  const diagnostics: PromptDiagnostic[] = [];
  const diag = (d: PromptDiagnostic): void => void diagnostics.push(d);

  const { text: stripped, networks } = parseExtraNetworks(text);
  const map = offsetMapper(networks);
  networkDiagnostics(networks, diag);
  for (const m of text.matchAll(/<[\p{L}\p{N}_]+:[^>]*$|<[\p{L}\p{N}_]+:>/gu)) {
    diag({ start: m.index!, end: m.index! + m[0].length, severity: 'warning', a1111: 'accepts', code: 'tag-not-closed', message: 'Not an extra-network tag (no ">" or no arguments): A1111 reads it as prompt text.' });
  }

  const rawParts = options.negative
    ? [{ text: stripped, weight: 1, start: 0, end: stripped.length, partStart: 0, partEnd: stripped.length, weightSpan: null }]
    : splitAnd(stripped);
  const parts: PromptPart[] = [];
  for (const p of rawParts) {
    const body = stripped.slice(p.partStart, p.end);
    const tree = parseScheduleSyntax(body);
    shiftNodes(tree.nodes, map, p.partStart);
    const part: PromptPart = {
      text: p.text,
      weight: p.weight,
      weightSpan: p.weightSpan ? { start: map(p.weightSpan.start), end: map(p.weightSpan.end, true) } : null,
      start: map(p.partStart),
      end: map(p.end, true),
      nodes: tree.nodes,
      breaks: [],
    };
    if (rawParts.length > 1 && p.text.trim() === '') {
      diag({ start: map(p.partStart), end: map(p.partEnd, true), severity: 'warning', a1111: 'accepts', code: 'empty-and-part', message: 'Empty AND part: A1111 adds an empty-prompt cond with this weight.' });
    }
    if (tree.failure) {
      const at = map(p.partStart + tree.failure.offset);
      const hasEditing = /\[[^\]]*[:|]/.test(body);
      diag({
        start: at,
        end: at + 1,
        severity: 'warning',
        a1111: 'accepts',
        code: 'editing-ignored',
        message: hasEditing
          ? `A1111's prompt-editing parser rejects this prompt (${tree.failure.message}), so it uses the whole text verbatim: [from:to:when] and [a|b] here are not applied.`
          : `A1111's prompt-editing parser rejects this (${tree.failure.message}); harmless here, the text is used verbatim.`,
      });
    } else scheduleDiagnostics(tree.nodes, steps, diag);
    attentionDiagnostics(body, (i) => map(p.partStart + i), (i) => map(p.partStart + i, true), part.breaks, diag);
    parts.push(part);
  }
  diagnostics.sort((a, b) => a.start - b.start);
  return { text, networks, parts, diagnostics };
}

function networkDiagnostics(networks: readonly ExtraNetworkTag[], diag: (d: PromptDiagnostic) => void): void {
  for (const t of networks) {
    const at = { start: t.start, end: t.end };
    if (!KNOWN_NETWORK_TYPES.includes(t.type)) {
      diag({ ...at, severity: 'warning', a1111: 'accepts', code: 'unknown-network', message: `Unknown extra network "${t.type}": A1111 removes the tag and ignores it.` });
      continue;
    }
    const r = t.type === 'hypernet' ? readHypernet(t) : readLora(t);
    if ('error' in r) diag({ ...at, severity: 'error', a1111: 'fails', code: 'network-weight', message: `<${t.type}:…>: ${r.error}; A1111 stops with an error.` });
    if ((t.positional[0] ?? '') === '') diag({ ...at, severity: 'warning', a1111: 'accepts', code: 'network-name', message: `<${t.type}:…> has no name: A1111 reports it as not found and goes on.` });
  }
}

/** Notes on `when` values that make one side of a [from:to:when] unreachable at these steps. */
function scheduleDiagnostics(nodes: readonly SyntaxNode[], steps: number, diag: (d: PromptDiagnostic) => void): void {
  const o = offsetsFor(steps, {});
  walkSyntax(nodes, (n) => {
    if (n.kind !== 'scheduled') return;
    const w = resolveWhen(n.when.raw, o);
    const at = { start: n.when.start, end: n.when.end };
    if (w < 1 && n.from !== null) {
      diag({ ...at, severity: 'info', a1111: 'accepts', code: 'when-before-start', message: `Switches at step ${w} of ${steps}: the "from" text is never used.` });
    } else if (w >= steps) {
      diag({ ...at, severity: 'info', a1111: 'accepts', code: 'when-after-end', message: `Switches at step ${w} of ${steps}: the "to" text is never used${n.when.raw.includes('.') ? ' (a fraction ≥ 1 only means something with hires fix)' : ''}.` });
    }
  });
}

/**
 * Walks the text with A1111's attention tokens (same regex, same stacks) to report what it reads differently
 * from what a reader expects: literal closers, brackets open to the end, bad weights, BREAK inside brackets.
 */
function attentionDiagnostics(
  body: string,
  start: (i: number) => number,
  end: (i: number) => number,
  breaks: Span[],
  diag: (d: PromptDiagnostic) => void,
): void {
  const re = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/gu;
  const round: number[] = [];
  const square: number[] = [];
  for (const m of body.matchAll(re)) {
    const tok = m[0];
    const i = m.index!;
    const at = { start: start(i), end: end(i + tok.length) };
    if (tok === '\\') diag({ ...at, severity: 'warning', a1111: 'accepts', code: 'lone-backslash', message: 'A "\\" that escapes nothing: A1111 drops it.' });
    else if (tok.startsWith('\\')) continue;
    else if (tok === '(') round.push(i);
    else if (tok === '[') square.push(i);
    else if (m[1] !== undefined && round.length > 0) {
      round.pop();
      if (!isPythonFloat(m[1])) diag({ ...at, severity: 'error', a1111: 'fails', code: 'bad-weight', message: `"${m[1]}" is not a number: A1111 stops with ValueError.` });
    } else if (tok === ')' && round.length > 0) round.pop();
    else if (tok === ']' && square.length > 0) square.pop();
    else if (tok === ')' || tok === ']' || m[1] !== undefined) {
      diag({ ...at, severity: 'warning', a1111: 'accepts', code: 'unmatched-close', message: `"${tok.trim()}" closes nothing: A1111 reads it as text.` });
    } else {
      for (const b of tok.matchAll(RE_BREAK)) {
        const k = b[0].indexOf('BREAK');
        const span = { start: start(i + b.index! + k), end: end(i + b.index! + k + 5) };
        if (round.length + square.length > 0) {
          diag({ ...span, severity: 'warning', a1111: 'accepts', code: 'break-in-brackets', message: 'BREAK inside brackets is not a break: A1111 encodes the word "BREAK" with a negative weight.' });
        } else breaks.push(span);
      }
    }
  }
  for (const i of round) diag({ start: start(i), end: end(i + 1), severity: 'warning', a1111: 'accepts', code: 'unclosed', message: '"(" is never closed: A1111 emphasises everything after it (×1.1).' });
  for (const i of square) diag({ start: start(i), end: end(i + 1), severity: 'warning', a1111: 'accepts', code: 'unclosed', message: '"[" is never closed: A1111 de-emphasises everything after it (÷1.1).' });
}
