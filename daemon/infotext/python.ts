// Python's text behaviour that A1111's infotext depends on, ported exactly: `str()` of values,
// `json.dumps(v, ensure_ascii=False)`, `str.strip()` / `isspace`, `json.loads` of a quoted value, and
// `packaging.version` ordering (infotext back-compat compares versions). JS's own versions differ at the
// edges (number formats, which characters count as whitespace), and those edges change saved files.

/** Characters Python's `str.isspace()` accepts (JS `\s` differs: it adds U+FEFF and lacks \x1c-\x1f, \x85). */
export const PY_WS = '[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
/** Python's Unicode `\w`: `str.isalnum()` or `_` (letters and numbers of every script; not marks). */
export const PY_WORD = '[\\p{L}\\p{N}_]';

/** Python's `str.isspace()` for one UTF-16 unit (every such character is in the BMP). */
export function isPyWhitespace(c: number): boolean {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** `str.strip()` with no argument, in linear time (a `\s+$` regex rescans every inner run of spaces). */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isPyWhitespace(s.charCodeAt(a))) a++;
  while (b > a && isPyWhitespace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** `repr(float)`: shortest round-trip digits (as JS), but Python switches to exponent form at 1e16 and 1e-4. */
export function pyFloatStr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const sci = v.toExponential(), e = sci.indexOf('e');
  const mant = sci.slice(0, e), exp = Number(sci.slice(e + 1));
  if (exp < -4 || exp >= 16) {
    // Python writes 1e+16 and 1.5e-05: mantissa as shortest digits, exponent signed and at least two digits.
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let out: string;
  if (exp >= 0) {
    const intLen = exp + 1;
    out = digits.length <= intLen ? digits.padEnd(intLen, '0') + '.0' : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  } else {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return neg ? `-${out}` : out;
}

/**
 * `str(v)` for the values infotext callers pass. A whole JS number is written as a Python int
 * ("CFG scale: 7", as A1111's UI sends whole slider values as ints); a caller who needs "7.0" passes the string.
 */
export function pyStr(v: string | number | boolean | bigint): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return v.toString();
  if (Number.isInteger(v)) return BigInt(v).toString();
  return pyFloatStr(v);
}

/** `json.dumps(s, ensure_ascii=False)` for a string: only `"`, `\`, and C0 controls are escaped. */
export function pyJsonDumps(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i]; // lone surrogates stay raw, as Python keeps them (JSON.stringify would escape them)
  }
  return `${out}"`;
}

/**
 * `json.loads(text)` where the result must be a string (A1111 only unquotes `"…"` values). Returns undefined
 * where Python raises. Python's decoder is strict like JSON.parse for strings (no raw control characters).
 */
export function pyJsonLoadsString(text: string): string | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

// ---- packaging.version (PEP 440), enough to order versions the way `version.parse(a) < version.parse(b)` does

const PEP440 = new RegExp(
  '^\\s*v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\\.[0-9]+)*)' +
    '(?<pre>[-_\\.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\\.]?(?<pre_n>[0-9]+)?)?' +
    '(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_\\.]?(?<post_l>post|rev|r)[-_\\.]?(?<post_n2>[0-9]+)?))?' +
    '(?<dev>[-_\\.]?(?<dev_l>dev)[-_\\.]?(?<dev_n>[0-9]+)?)?)' +
    '(?:\\+(?<local>[a-z0-9]+(?:[-_\\.][a-z0-9]+)*))?\\s*$',
  'i',
);

/** A comparable PEP 440 version key; compare with `compareVersions`. */
export interface PyVersion { key: [epoch: number[], release: number[], pre: number[], post: number[], dev: number[]] }

const NEG_INF = -Infinity;
const POS_INF = Infinity;

/** `packaging.version.parse(text)`, or undefined where it raises InvalidVersion. */
export function parsePyVersion(text: string): PyVersion | undefined {
  const m = PEP440.exec(text);
  if (!m || !m.groups) return undefined;
  const g = m.groups;
  const release = g.release!.split('.').map(Number); // a mandatory group
  while (release.length > 1 && release[release.length - 1] === 0) release.pop(); // 1.6.0 == 1.6
  const preRank: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };
  const preL = g.pre_l;
  const hasPost = g.post !== undefined;
  const hasDev = g.dev_l !== undefined;
  // PEP440 only matches the spellings preRank lists.
  const pre = preL !== undefined ? [preRank[preL.toLowerCase()]!, Number(g.pre_n ?? 0)] : !hasPost && hasDev ? [NEG_INF] : [POS_INF];
  const post = hasPost ? [Number(g.post_n1 ?? g.post_n2 ?? 0)] : [NEG_INF];
  const dev = hasDev ? [Number(g.dev_n ?? 0)] : [POS_INF];
  return { key: [[Number(g.epoch ?? 0)], release, pre, post, dev] };
}

function compareSeq(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    // A shorter release compares as if zero-padded only after trailing zeros were removed: Python tuple order.
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}

/** <0, 0, >0 as Python's version comparison (local segments ignored: no A1111 version carries one). */
export function compareVersions(a: PyVersion, b: PyVersion): number {
  for (let i = 0; i < a.key.length; i++) {
    const c = compareSeq(a.key[i]!, b.key[i]!); // both keys have the same five parts
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * Python's `csv.reader` rows (excel dialect): a quote starts a quoted field only as the field's first character
 * (after spaces too with `skipinitialspace`), `""` is a quote inside one, quoted fields may hold newlines.
 */
export function pyCsvRows(text: string, skipInitialSpace = false): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let atStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && atStart) {
      quoted = true;
      atStart = false;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      atStart = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
      field = '';
      atStart = true;
    } else if (!(atStart && skipInitialSpace && ch === ' ')) {
      field += ch;
      atStart = false;
    }
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * One row as Python's `csv.writer` writes it (excel dialect, QUOTE_MINIMAL), without the line end: a field is
 * quoted when it holds the delimiter, a quote or a line break (an empty row of one field is `""`).
 */
export function pyCsvRow(fields: readonly string[]): string {
  if (fields.length === 1 && fields[0] === '') return '""';
  return fields.map((v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',');
}
