/**
 * Prompt facts the language features show at a position: the effective emphasis weight of a word, and the
 * places where A1111's 75-token chunking cuts a comma-separated word group in two. Both walk the source text
 * with A1111's attention tokens so that offsets stay in the file's coordinates. Pure.
 */
import { parsePrompt, tokenizeChunks, walkSyntax, type ClipTokenizer, type PromptDocument, type PromptPart } from '../prompt';
import { RE_ATTENTION, RE_BREAK_WORD } from '../prompt/attention';
/** CLIP's pre-tokenizer pattern (words, single digits, punctuation runs). */
const RE_CLIP_WORD = /'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;
const WORD_CHAR = /[\p{L}\p{N}_'-]/u;

/** The text with every extra-network tag blanked to spaces: same offsets, and spaces add no tokens. */
function blankTags(doc: PromptDocument): string {
  let t = doc.text;
  for (const n of doc.networks) t = t.slice(0, n.start) + ' '.repeat(n.end - n.start) + t.slice(n.end);
  return t;
}

/** Offsets of `[`/`]` that belong to prompt editing (`[a:b:when]`, `[a|b]`), not to emphasis. */
function editingBrackets(part: PromptPart): Set<number> {
  const out = new Set<number>();
  walkSyntax(part.nodes, (n) => {
    if (n.kind === 'scheduled' || n.kind === 'alternate') {
      out.add(n.start);
      out.add(n.end - 1);
    }
  });
  return out;
}

const hasEditing = (part: PromptPart): boolean => editingBrackets(part).size > 0;

export interface WordWeight {
  start: number;
  end: number;
  word: string;
  /** The multiplier A1111 gives the word's tokens (product of the brackets around it, in A1111's order). */
  weight: number;
}

/** The word at `offset` and its effective weight; null inside an extra-network tag or away from a word. */
export function weightAt(text: string, offset: number, negative = false): WordWeight | null {
  const doc = parsePrompt(text, { negative });
  if (doc.networks.some((n) => offset > n.start && offset < n.end)) return null;
  let start = offset;
  let end = offset;
  while (start > 0 && WORD_CHAR.test(text[start - 1]!)) start--;
  while (end < text.length && WORD_CHAR.test(text[end]!)) end++;
  if (start === end) return null;
  const part = doc.parts.find((p) => start >= p.start && start <= p.end);
  if (!part) return null;
  const skip = editingBrackets(part);
  const body = blankTags(doc).slice(part.start, part.end);
  type Open = { at: number; kind: '(' | '[' };
  const round: Open[] = [];
  const square: Open[] = [];
  const applied: Array<{ open: number; close: number; mult: number }> = [];
  for (const m of body.matchAll(RE_ATTENTION)) {
    const tok = m[0];
    const at = part.start + m.index!;
    if (tok.startsWith('\\')) continue;
    if ((tok === '[' || tok === ']') && skip.has(at)) continue;
    if (tok === '(') round.push({ at, kind: '(' });
    else if (tok === '[') square.push({ at, kind: '[' });
    else if (m[1] !== undefined && round.length > 0) {
      const w = Number(m[1]);
      applied.push({ open: round.pop()!.at, close: at, mult: Number.isFinite(w) ? w : 1 });
    } else if (tok === ')' && round.length > 0) applied.push({ open: round.pop()!.at, close: at, mult: 1.1 });
    else if (tok === ']' && square.length > 0) applied.push({ open: square.pop()!.at, close: at, mult: 1 / 1.1 });
  }
  for (const o of round) applied.push({ open: o.at, close: Infinity, mult: 1.1 });
  for (const o of square) applied.push({ open: o.at, close: Infinity, mult: 1 / 1.1 });
  let weight = 1.0;
  for (const a of applied) if (a.open < start && start < a.close) weight *= a.mult;
  return { start, end, word: text.slice(start, end), weight };
}

export interface ChunkCrossing {
  /** The word group (between commas) that the boundary cuts, in source offsets. */
  start: number;
  end: number;
  /** 1-based number of the chunk the group starts in. */
  chunk: number;
}

/**
 * Word groups cut by a chunk boundary: a full chunk whose last token is not a comma, followed by a chunk
 * that does not start with one (A1111's comma backtrack could not help: the group is longer than 20 tokens or
 * has no comma before it). AND parts with prompt editing are skipped (their texts change per step).
 */
export function chunkCrossings(text: string, tokenizer: ClipTokenizer, negative = false): ChunkCrossing[] {
  const doc = parsePrompt(text, { negative });
  const blank = blankTags(doc);
  const out: ChunkCrossing[] = [];
  for (const part of doc.parts) {
    if (hasEditing(part)) continue;
    const body = blank.slice(part.start, part.end);
    let chunks;
    try {
      chunks = tokenizeChunks(body, tokenizer).chunks;
    } catch {
      continue; // a bad weight: reported by the parser's diagnostics
    }
    let before = 0;
    for (let i = 0; i + 1 < chunks.length; i++) {
      const c = chunks[i]!;
      before += c.length;
      if (c.length !== c.tokens.length || c.tokens[c.length - 1] === tokenizer.commaId || chunks[i + 1]!.tokens[0] === tokenizer.commaId) continue;
      const at = tokenOffset(body, before, tokenizer);
      if (at === null) continue;
      const g = groupAround(body, at);
      out.push({ start: part.start + g.start, end: part.start + g.end, chunk: i + 1 });
    }
  }
  return out;
}

/** Source offset (in `body`) of the word holding real token number `k` (0-based). */
function tokenOffset(body: string, k: number, tokenizer: ClipTokenizer): number | null {
  let count = 0;
  for (const m of body.matchAll(RE_ATTENTION)) {
    const tok = m[0];
    if (tok === '(' || tok === '[' || tok === ')' || tok === ']' || m[1] !== undefined || tok === '\\') continue;
    const piece = tok.startsWith('\\') ? tok.slice(1) : tok;
    const base = m.index! + (tok.startsWith('\\') ? 1 : 0);
    const noBreak = piece.replace(RE_BREAK_WORD, (b) => ' '.repeat(b.length));
    for (const w of noBreak.matchAll(RE_CLIP_WORD)) {
      count += tokenizer.encode(w[0]).length;
      if (count > k) return base + w.index!;
    }
  }
  return null;
}

/** The comma-separated group around `at`, trimmed. */
function groupAround(body: string, at: number): { start: number; end: number } {
  let s = body.lastIndexOf(',', at - 1) + 1;
  let e = body.indexOf(',', at);
  if (e < 0) e = body.length;
  while (s < e && /\s/.test(body[s]!)) s++;
  while (e > s && /\s/.test(body[e - 1]!)) e--;
  return { start: s, end: e };
}
