// A1111's `prompt_parser.parse_prompt_attention`, ported only so `parseGenerationParameters` can decide whether
// to fill the "Emphasis" default exactly as A1111 does (it asks: does any non-BREAK piece have weight != 1?).
// Kept here, not imported from daemon/prompt/, so the infotext reader has no dependency on the prompt engine;
// the arithmetic order is the same as Python's, so float results (e.g. 1.1 * (1/1.1)) compare identically.

const RE_ATTENTION = /\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]|[^\\()[\]:]+|:/g;
const RE_BREAK = /\s*\bBREAK\b\s*/;

type Piece = [text: string, weight: number];

export function parsePromptAttention(text: string): Piece[] {
  const res: Piece[] = [];
  const round: number[] = [];
  const square: number[] = [];
  const roundMul = 1.1;
  const squareMul = 1 / 1.1;
  const multiplyRange = (start: number, mul: number) => {
    for (let p = start; p < res.length; p++) res[p]![1] *= mul;
  };
  for (const m of text.matchAll(RE_ATTENTION)) {
    const t = m[0];
    const weight = m[1];
    if (t.startsWith('\\')) res.push([t.slice(1), 1.0]);
    else if (t === '(') round.push(res.length);
    else if (t === '[') square.push(res.length);
    // Python's float() raises on "1.2.3"; Number() gives NaN, which also counts as "not 1" here.
    else if (weight !== undefined && round.length) multiplyRange(round.pop()!, Number(weight));
    else if (t === ')' && round.length) multiplyRange(round.pop()!, roundMul);
    else if (t === ']' && square.length) multiplyRange(square.pop()!, squareMul);
    else {
      t.split(RE_BREAK).forEach((part, i) => {
        if (i > 0) res.push(['BREAK', -1]);
        res.push([part, 1.0]);
      });
    }
  }
  for (const pos of round) multiplyRange(pos, roundMul);
  for (const pos of square) multiplyRange(pos, squareMul);
  if (res.length === 0) res.push(['', 1.0]);
  for (let i = 0; i + 1 < res.length; ) {
    if (res[i]![1] === res[i + 1]![1]) {
      res[i]![0] += res[i + 1]![0];
      res.splice(i + 1, 1);
    } else i++;
  }
  return res;
}

/** A1111's `prompt_uses_emphasis` test over both prompts. */
export function usesEmphasis(prompt: string, negativePrompt: string): boolean {
  const pieces = [...parsePromptAttention(prompt), ...parsePromptAttention(negativePrompt)];
  return pieces.some(([t, w]) => !(w === 1.0 || t === 'BREAK'));
}
