// JSON parsing for metadata: generators write seeds up to 2^64 (ComfyUI, Fooocus) that JSON.parse would
// round. Integer literals outside the safe range are kept exact, as strings; everything else is JSON.parse.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Wraps unsafe integer literals (outside strings) in quotes, then JSON.parse. Throws SyntaxError like it. */
export function parseJsonLossless(text: string): JsonValue {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip a string literal, honouring backslash escapes
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+-]/.test(text[j]!)) j++;
      const lit = text.slice(i, j);
      if (/^-?\d{16,}$/.test(lit) && !Number.isSafeInteger(Number(lit))) {
        out += `${text.slice(last, i)}"${lit}"`;
        last = j;
      }
      i = j - 1;
    }
  }
  return JSON.parse(out + text.slice(last)) as JsonValue;
}

/** parseJsonLossless, or undefined when the text is not JSON. */
export function tryParseJson(text: string): JsonValue | undefined {
  try {
    return parseJsonLossless(text);
  } catch {
    return undefined;
  }
}

export function isObject(v: unknown): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
