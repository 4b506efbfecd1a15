// The house rule "cite what a reader can open": comments, docs and test titles name A1111's file and function
// (`modules/processing.py: StableDiffusionProcessingImg2Img.init`) or a heading of docs/a1111-behaviour.md, never a
// section number of a document outside the repository ("§" and a number), nor an issue of our tracker ("issue" and a
// number), which a reader of the code cannot see either. Reads every text file of the folders below (tests run from the repo root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, posix } from 'node:path';

const ROOTS = ['daemon', 'models', 'extension', 'webviews', 'test', 'scripts', 'docs', 'esbuild.mjs', 'README.md'];
const TEXT = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.md', '.py', '.sh', '.css', '.html', '.yaml', '.yml', '.txt']);
const SKIP_DIRS = new Set(['node_modules', 'out', 'dist']);

const RULES: Array<{ what: string; re: RegExp }> = [
  { what: 'a "§N" section citation (name the A1111 file: function, or a heading of docs/a1111-behaviour.md)', re: /§\s*\d/ },
  { what: 'a document outside the repository (shared/reference/*.md)', re: /(?:^|[^\w/])(?:\.\.\/)*(?:shared\/)?reference\/[\w.-]+\.md\b/ },
  { what: 'an issue-tracker citation (say what the code does or which contract it keeps)', re: /\bissues?\s*(?:#\s*)?\d+|\bissue point\b|\bof the issue\b|\bthe issue's\b/i },
];

function textFiles(rel: string): string[] {
  if (!statSync(rel).isDirectory()) return TEXT.has(extname(rel)) ? [rel] : [];
  const out: string[] = [];
  for (const name of readdirSync(rel)) if (!SKIP_DIRS.has(name)) out.push(...textFiles(posix.join(rel, name)));
  return out;
}

/** `file:line what: text` for every citation the rules forbid in `text`. */
function citations(file: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const rule of RULES) if (rule.re.test(line)) found.push(`${file}:${i + 1} ${rule.what}: ${line.trim().slice(0, 160)}`);
  });
  return found;
}

test('no "§N", shared/reference or issue-number citations in the sources, tests and docs', () => {
  const files = ROOTS.flatMap((r) => textFiles(r));
  assert.ok(files.length > 300, `expected the project's files, found ${files.length} (run from the repository root)`);
  const found = files.flatMap((f) => citations(f, readFileSync(join(f), 'utf8')));
  assert.deepEqual(found, [], `citations a reader cannot follow:\n${found.join('\n')}`);
});

test('the rules see what they forbid, and let through what is fine', () => {
  // Built from pieces so this file does not cite anything itself.
  const S = '\u00a7';
  const REF = 'refer' + 'ence/';
  const ISSUE = 'iss' + 'ue';
  const hits = (line: string) => citations('x.ts', line).length;
  for (const bad of [`// Masked content (reference ${S}2.3)`, `// (${S}2.1–2.2)`, `test('${S}11.4 numbers'`, `// ref ${S} 9`,
    `// see ../shared/${REF}a1111-behaviour.md`, `// (${REF}onnx-exports.md)`,
    `// ${ISSUE} 7 acceptance`.replace('i', 'I'), `// the closing note of ${ISSUE} 7`, `// (${ISSUE} point 3)`, `// ${ISSUE}s 4 and 5`,
    `// the \`--json\` shape of the ${ISSUE}`, `test('exactly the ${ISSUE}'s shape'`]) {
    assert.equal(hits(bad), 1, bad);
  }
  for (const fine of [`{"${S}":[1256,"M959 157"]}`, '// test/fixtures/reference/torch_randn_cpu.py', "// A1111 `modules/masking.py: fill`",
    '// docs/a1111-behaviour.md: Quirks kept on purpose', '// https://github.com/microsoft/onnxruntime/issues/12345',
    '// a known issue with fp16 on some drivers']) {
    assert.equal(hits(fine), 0, fine);
  }
});
