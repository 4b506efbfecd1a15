/**
 * `AND` (composable diffusion): A1111's `modules/prompt_parser.py: get_multicond_prompt_list`. Positive prompts only;
 * negative prompts are never split.
 */

export interface AndPart {
  /** The sub-prompt, leading spaces kept and trailing spaces dropped, exactly as A1111 keys it. */
  text: string;
  weight: number;
  /** Offsets of `text` in the input, and of the whole part (text + `:weight`). */
  start: number;
  end: number;
  partStart: number;
  partEnd: number;
  /** Offsets of the `:weight` number, when present. */
  weightSpan: { start: number; end: number } | null;
}

/** `\bAND\b` with Python's Unicode word boundary. */
const RE_AND = /(?<![\p{L}\p{N}_])AND(?![\p{L}\p{N}_])/gu;
/** `re_weight`: lazy text, then an optional `:number`, then trailing whitespace. */
const RE_WEIGHT = /^([\s\S]*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$/u;

/** Split one prompt on AND, with each part's weight (default 1). */
export function splitAnd(prompt: string): AndPart[] {
  const parts: AndPart[] = [];
  let from = 0;
  const bounds: [number, number][] = [];
  for (const m of prompt.matchAll(RE_AND)) {
    bounds.push([from, m.index!]);
    from = m.index! + m[0].length;
  }
  bounds.push([from, prompt.length]);
  for (const [ps, pe] of bounds) {
    const sub = prompt.slice(ps, pe);
    const m = RE_WEIGHT.exec(sub)!; // always matches: every part is optional
    const text = m[1]!;
    const w = m[2];
    let weightSpan: AndPart['weightSpan'] = null;
    if (w !== undefined) {
      const at = ps + sub.lastIndexOf(w, sub.length);
      weightSpan = { start: at, end: at + w.length };
    }
    parts.push({ text, weight: w !== undefined ? Number(w) : 1.0, start: ps, end: ps + text.length, partStart: ps, partEnd: pe, weightSpan });
  }
  return parts;
}

/**
 * `get_multicond_prompt_list(prompts)`: per prompt, (index into the flat list, weight) pairs; identical
 * sub-prompt texts share one entry (one encoding).
 */
export function getMulticondPromptList(prompts: readonly string[]): {
  indexes: [index: number, weight: number][][];
  flat: string[];
} {
  const flat: string[] = [];
  const byText = new Map<string, number>();
  const indexes = prompts.map((p) =>
    splitAnd(p).map(({ text, weight }): [number, number] => {
      let i = byText.get(text);
      if (i === undefined) {
        i = flat.length;
        flat.push(text);
        byText.set(text, i);
      }
      return [i, weight];
    }),
  );
  return { indexes, flat };
}
