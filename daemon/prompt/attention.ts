/**
 * A1111's `parse_prompt_attention` (modules/prompt_parser.py), reproduced operation for operation so that the
 * weights are bit-identical (same multiplication order in IEEE doubles).
 */

/** One fragment of text with its emphasis multiplier; BREAK is `["BREAK", -1]` (its -1 scaled inside parens). */
export type AttentionFragment = [text: string, weight: number];

/** Thrown where A1111 raises ValueError (`(a:1.2.3)`): Python's float() rejects the weight. */
export class AttentionWeightError extends Error {
  constructor(readonly weight: string, readonly offset: number) {
    super(`A1111 cannot read the emphasis weight "${weight}" (Python float() fails; generation would stop)`);
  }
}

/**
 * `re_attention`, one alternative per line, in A1111's order (first match wins, as in Python's `re`).
 * Group 1 is the weight of `:w)`.
 */
export const RE_ATTENTION = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/gu;

/**
 * `\s*\bBREAK\b\s*` with Python's Unicode `\b` (JS `\b` is ASCII-only, so "éBREAK" would differ).
 * Python's `\w` for str is alphanumerics (letters, numbers) and underscore.
 */
export const RE_BREAK = /\s*(?<![\p{L}\p{N}_])BREAK(?![\p{L}\p{N}_])\s*/gu;

/** The word BREAK alone (Python's Unicode word boundaries), without the spaces RE_BREAK takes with it. */
export const RE_BREAK_WORD = /(?<![\p{L}\p{N}_])BREAK(?![\p{L}\p{N}_])/gu;

const ROUND = 1.1;
const SQUARE = 1 / 1.1;

/** Python's float() over the characters `[+-]?[.\d]+` can match: at most one dot and at least one digit. */
export function isPythonFloat(s: string): boolean {
  return /^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(s);
}

/** Thrown when a parse given a re-weighting budget spends it (see parsePromptAttention). */
export class AttentionTooDeepError extends Error {
  constructor(readonly budget: number) {
    super(`prompt brackets nest too deep: more than ${budget} weight updates`);
  }
}

/**
 * `parse_prompt_attention(text)`. Throws {@link AttentionWeightError} exactly where A1111 raises ValueError;
 * use {@link tryParsePromptAttention} where a result is always needed. Each closing bracket re-weights every
 * fragment since its opening one, so bracket nesting costs quadratic time: `maxReweights` (default unbounded)
 * stops a parse of untrusted text (an image's infotext) with {@link AttentionTooDeepError}.
 */
export function parsePromptAttention(text: string, maxReweights = Number.POSITIVE_INFINITY): AttentionFragment[] {
  const res: AttentionFragment[] = [];
  const roundBrackets: number[] = [];
  const squareBrackets: number[] = [];
  let reweights = 0;
  const multiplyRange = (start: number, m: number): void => {
    reweights += res.length - start;
    if (reweights > maxReweights) throw new AttentionTooDeepError(maxReweights);
    for (let p = start; p < res.length; p++) res[p]![1] *= m;
  };

  for (const m of text.matchAll(RE_ATTENTION)) {
    const tok = m[0];
    const weight = m[1];
    if (tok.startsWith('\\')) res.push([tok.slice(1), 1.0]);
    else if (tok === '(') roundBrackets.push(res.length);
    else if (tok === '[') squareBrackets.push(res.length);
    else if (weight !== undefined && roundBrackets.length > 0) {
      if (!isPythonFloat(weight)) throw new AttentionWeightError(weight, m.index! + tok.indexOf(weight));
      multiplyRange(roundBrackets.pop()!, Number(weight));
    } else if (tok === ')' && roundBrackets.length > 0) multiplyRange(roundBrackets.pop()!, ROUND);
    else if (tok === ']' && squareBrackets.length > 0) multiplyRange(squareBrackets.pop()!, SQUARE);
    else {
      const parts = tok.split(RE_BREAK);
      parts.forEach((part, i) => {
        if (i > 0) res.push(['BREAK', -1]);
        res.push([part, 1.0]);
      });
    }
  }
  // Still-open brackets extend to the end, in push order (A1111 iterates the stacks front to back).
  for (const pos of roundBrackets) multiplyRange(pos, ROUND);
  for (const pos of squareBrackets) multiplyRange(pos, SQUARE);

  if (res.length === 0) return [['', 1.0]];

  // Merge runs with exactly equal weights (so BREAK's -1 only merges with another -1), in one pass: splicing each
  // merged fragment out is quadratic in a prompt of many escaped characters.
  const merged: AttentionFragment[] = [];
  for (const f of res) {
    const last = merged[merged.length - 1];
    if (last && last[1] === f[1]) last[0] += f[0];
    else merged.push(f);
  }
  return merged;
}

/** Never throws: on A1111's ValueError, returns the error instead (the inspector and LSP must keep going). */
export function tryParsePromptAttention(
  text: string,
): { ok: true; fragments: AttentionFragment[] } | { ok: false; error: AttentionWeightError } {
  try {
    return { ok: true, fragments: parsePromptAttention(text) };
  } catch (e) {
    if (e instanceof AttentionWeightError) return { ok: false, error: e };
    throw e;
  }
}

/** The emphasis check's budget: real prompts need thousands of weight updates, crafted ones billions. */
const EMPHASIS_CHECK_REWEIGHTS = 2_000_000;

/**
 * Does either prompt carry a weight other than 1 (BREAK aside)? `infotext_utils.parse_generation_parameters` asks
 * this to fill the "Emphasis" default. A weight A1111 cannot read (`(a:1.2.3)`, where it raises) counts as one, and
 * so does bracket nesting past the budget (thousands of unbalanced brackets never leave every weight at exactly 1).
 */
export function promptsUseEmphasis(prompt: string, negativePrompt: string): boolean {
  const pieces: AttentionFragment[] = [];
  for (const text of [prompt, negativePrompt]) {
    try {
      pieces.push(...parsePromptAttention(text, EMPHASIS_CHECK_REWEIGHTS));
    } catch (e) {
      if (e instanceof AttentionWeightError || e instanceof AttentionTooDeepError) return true;
      throw e;
    }
  }
  return pieces.some(([t, w]) => !(w === 1.0 || t === 'BREAK'));
}
