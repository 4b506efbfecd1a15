// A1111's `re_param` (`infotext_utils.py`), run as a linear scan. The regex
//   \s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)
// fails slowly on a line with a long run of key characters and no ':' (each start position rescans the whole
// run: 100 KB took 13 s). Its matches are fully determined, so a scan finds the same (key, value) pairs: from a
// start position, whitespace is skipped, the key is the whole run of key characters (it must start with a word
// character, be at least two code points long and be followed by ':'), whitespace after ':' is skipped, then a
// quoted value when the first unescaped quote closes it right before ',' or the end, else everything up to ','.
// Runs of whitespace and of key characters are measured once each, so the whole line costs linear time.
// Python's `\s` and `\w` are Unicode (python.ts: PY_WS, PY_WORD); positions are code points, as with the `u` flag.

import { isPyWhitespace } from './python';

const WORD = /^[\p{L}\p{N}_]$/u;

function isWord(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x5f;
  return WORD.test(String.fromCodePoint(cp));
}

const isKeyChar = (cp: number): boolean => isWord(cp) || cp === 0x20 || cp === 0x2d || cp === 0x2f;

/** Every (key, raw value) pair `re_param.findall` yields for one line. */
export function findParams(line: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const n = line.length;
  const cpAt = (i: number): number => line.codePointAt(i)!;
  const width = (i: number): number => (cpAt(i) > 0xffff ? 2 : 1);
  // The current whitespace run and key-character run, each measured once (start positions only move forward).
  let wsFrom = -1;
  let wsTo = -1;
  const wsEnd = (i: number): number => {
    if (i >= wsFrom && i < wsTo) return wsTo;
    let j = i;
    while (j < n && isPyWhitespace(line.charCodeAt(j))) j++;
    if (j > i) [wsFrom, wsTo] = [i, j];
    return j;
  };
  let keyFrom = -1;
  let keyTo = -1;
  const keyEnd = (i: number): number => {
    if (i >= keyFrom && i < keyTo) return keyTo;
    let j = i;
    while (j < n && isKeyChar(cpAt(j))) j += width(j);
    [keyFrom, keyTo] = [i, j];
    return j;
  };
  let p = 0;
  while (p < n) {
    const q = wsEnd(p);
    if (q < n && isWord(cpAt(q))) {
      const e = keyEnd(q);
      if (e > q + width(q) && line.charCodeAt(e) === 0x3a /* : */) {
        const v = wsEnd(e + 1);
        const quoted = quotedValueEnd(line, v);
        const valueEnd = quoted ?? (line.indexOf(',', v) < 0 ? n : line.indexOf(',', v));
        out.push([line.slice(q, e), line.slice(v, valueEnd)]);
        p = valueEnd < n ? valueEnd + 1 : n; // past the ',' the match consumed
        continue;
      }
    }
    p += width(p);
  }
  return out;
}

/**
 * `"(?:\\[^\n]|[^\\"])+"` followed by ',' or the end: the index just past the closing quote, or undefined when the
 * value does not match that way (the regex then falls back to `[^,]*`).
 */
function quotedValueEnd(line: string, v: number): number | undefined {
  if (line.charCodeAt(v) !== 0x22) return undefined;
  const n = line.length;
  let j = v + 1;
  while (j < n) {
    const c = line.charCodeAt(j);
    if (c === 0x5c /* \ */) {
      if (j + 1 >= n || line.charCodeAt(j + 1) === 0x0a) return undefined;
      j += 1 + (line.codePointAt(j + 1)! > 0xffff ? 2 : 1);
    } else if (c === 0x22) {
      if (j === v + 1) return undefined; // `+`: at least one character between the quotes
      return j + 1 === n || line.charCodeAt(j + 1) === 0x2c ? j + 1 : undefined;
    } else {
      j += line.codePointAt(j)! > 0xffff ? 2 : 1;
    }
  }
  return undefined;
}
