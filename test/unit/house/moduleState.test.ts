// The house rule "no module-level mutable state in daemon/ or models/": every cache, pool and store lives in an
// object daemon/services.ts creates (one dispose() at shutdown), so nothing outlives its owner or leaks between
// two daemons in one process (tests). This reads the sources (tests run from the repo root) and fails on a
// top-level `let`/`var`, a module-level empty Map/Set/array/object filled later, a typed-array scratch buffer, a
// mutable static field, or a SessionPool made anywhere but daemon/services.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOTS = ['daemon', 'models'];

/** `file: name` → why it is allowed. Only true constants and short-lived resources belong here. */
const ALLOWED: Record<string, string> = {
  'models/checkpointToOnnx.ts: new SessionPool': 'one throwaway session to test a UNet for v-prediction, disposed in the same function',
};

const RULES: Array<{ what: string; re: RegExp }> = [
  { what: 'top-level let/var', re: /^(?:export )?(?:let|var)\s+(\w+)/ },
  { what: 'module-level empty collection (a cache)', re: /^(?:export )?const (\w+)(?:\s*:[^=]+)?\s*=\s*new (?:Map|Set|WeakMap|WeakSet|Array)\b(?:<.*>)?\(\s*\)/ },
  { what: 'module-level empty array/object (filled later)', re: /^(?:export )?const (\w+)(?:\s*:[^=]+)?\s*=\s*(?:\[\]|\{\})\s*(?:as [^;]+)?;/ },
  { what: 'module-level typed-array buffer', re: /^(?:export )?const (\w+)(?:\s*:[^=]+)?\s*=\s*new (?:Float32|Float64|Int8|Int16|Int32|Uint8|Uint8Clamped|Uint16|Uint32|BigInt64|BigUint64)Array\(/ },
  { what: 'mutable static field', re: /^\s+(?:(?:private|protected|public)\s+)?static\s+(?!readonly\b)(?!async\b)(\w+)\s*[:=]/ },
];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Each line with whether it starts inside a template literal (worker sources are written as one). */
function codeLines(text: string): Array<{ line: string; n: number }> {
  const out: Array<{ line: string; n: number }> = [];
  let inTemplate = false;
  text.split('\n').forEach((line, i) => {
    if (!inTemplate) out.push({ line, n: i + 1 });
    const ticks = (line.replace(/\\`/g, '').match(/`/g) ?? []).length;
    if (ticks % 2 === 1) inTemplate = !inTemplate;
  });
  return out;
}

test('no module-level mutable state in daemon/ or models/; session pools only in daemon/services.ts', () => {
  const found: string[] = [];
  for (const file of ROOTS.flatMap((r) => sources(r))) {
    const rel = relative(process.cwd(), file).split('\\').join('/');
    for (const { line, n } of codeLines(readFileSync(file, 'utf8'))) {
      for (const rule of RULES) {
        const m = rule.re.exec(line);
        if (m && !ALLOWED[`${rel}: ${m[1]}`]) found.push(`${rel}:${n} ${rule.what}: ${line.trim()}`);
      }
      if (/\bnew SessionPool\(/.test(line) && rel !== 'daemon/services.ts' && !ALLOWED[`${rel}: new SessionPool`]) found.push(`${rel}:${n} a SessionPool outside daemon/services.ts: ${line.trim()}`);
    }
  }
  assert.deepEqual(found, [], `module-level state (move it into an object daemon/services.ts owns, or pass it as an argument):\n${found.join('\n')}`);
});

test('the rule sees what it forbids', () => {
  const hits = (src: string) => codeLines(src).flatMap(({ line }) => RULES.filter((r) => r.re.test(line)).map((r) => r.what));
  assert.deepEqual(hits('let cached: X | undefined;'), ['top-level let/var']);
  assert.deepEqual(hits('const cache = new Map<string, Promise<Y>>();'), ['module-level empty collection (a cache)']);
  assert.deepEqual(hits('export const seen: string[] = [];'), ['module-level empty array/object (filled later)']);
  assert.deepEqual(hits('const scratch = new Float32Array(1);'), ['module-level typed-array buffer']);
  assert.deepEqual(hits('class A {\n  private static count = 0;\n}'), ['mutable static field']);
  // constants and code inside a worker's template source are fine
  assert.deepEqual(hits("const EXTS = new Set(['.pt', '.bin']);\nconst utf8 = new TextDecoder();\nconst W = `\nlet x = 1;\n`;\n  static readonly N = 3;"), []);
});
