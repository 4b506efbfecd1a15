// The house rules about who may import what, checked on every source file (STYLE.md "Rules that keep it honest").
// The per-side tsconfigs catch some of these at compile time (a webview cannot see daemon internals or Node);
// this test names every rule once, so a broken one fails with the file, line and rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importRef, readSource, sourceFiles, within, type ImportRef, type SourceFacts } from './imports';

interface Rule {
  name: string;
  /** The files the rule governs. */
  applies: (file: string) => boolean;
  /** Why this import breaks the rule, or undefined when it is fine. */
  check: (ref: ImportRef) => string | undefined;
  /** The rule also forbids reading Math.random. */
  noMathRandom?: boolean;
}

const under = (folder: string) => (file: string) => file.startsWith(`${folder}/`);
const product = (file: string) => ['daemon', 'models', 'extension', 'webviews'].some((d) => file.startsWith(`${d}/`));
const PROTOCOL = 'daemon/protocol';
const PANEL_MESSAGES = 'webviews/common/messages';

const RULES: Rule[] = [
  {
    name: 'webviews/ import only their own folder, webviews/common and types from daemon/protocol.ts',
    applies: under('webviews'),
    check: (r) => {
      if (!r.target) return `imports the package "${r.specifier}"`;
      if (r.target === PROTOCOL) return r.typeOnly ? undefined : 'imports values from the protocol (types only: `import type`)';
      const panel = r.file.split('/').slice(0, 2).join('/');
      if (within(r.target, 'webviews/common') || within(r.target, panel)) return undefined;
      return `imports ${r.target}`;
    },
  },
  {
    name: 'extension/ imports from daemon/ only the protocol, from webviews/ only the panel message types, nothing from models/',
    applies: under('extension'),
    check: (r) => {
      if (r.target === PROTOCOL) return undefined;
      if (r.target === PANEL_MESSAGES) return r.typeOnly ? undefined : 'imports values from the panel messages (types only)';
      if (within(r.target, 'daemon') || within(r.target, 'models') || within(r.target, 'webviews')) return `imports ${r.target}`;
      return undefined;
    },
  },
  {
    name: 'daemon/sampling/ is pure: only its own files, no onnxruntime, no Node modules, no packages, no Math.random',
    applies: under('daemon/sampling'),
    noMathRandom: true,
    check: (r) => {
      if (r.builtin) return `imports the Node module "${r.specifier}"`;
      if (!r.target) return `imports the package "${r.specifier}"`;
      return within(r.target, 'daemon/sampling') ? undefined : `imports ${r.target}`;
    },
  },
  {
    name: 'models/ never imports daemon/',
    applies: under('models'),
    check: (r) => (within(r.target, 'daemon') ? `imports ${r.target}` : undefined),
  },
  {
    name: 'models/sessions.ts is the only importer of onnxruntime',
    applies: (f) => product(f) && f !== 'models/sessions.ts',
    check: (r) => (/^onnxruntime-/.test(r.specifier) ? `imports ${r.specifier}` : undefined),
  },
  {
    name: 'product code (daemon/, models/, extension/, webviews/) never imports test/',
    applies: product,
    check: (r) => (within(r.target, 'test') ? `imports ${r.target}` : undefined),
  },
];

/**
 * Breaks waiting for their fix, each exactly as the test reports it: listed here so the rest stay enforced, and a
 * fixed one fails until it is removed from this list.
 */
const KNOWN: string[] = [];

/** Every violation of `rules` in `sources`, as "file:line what — rule". */
function violations(sources: readonly SourceFacts[], rules: readonly Rule[] = RULES): string[] {
  const out: string[] = [];
  for (const s of sources) {
    for (const rule of rules) {
      if (!rule.applies(s.file)) continue;
      for (const r of s.imports) {
        const why = rule.check(r);
        if (why) out.push(`${r.file}:${r.line} ${why} — ${rule.name}`);
      }
      if (rule.noMathRandom) for (const line of s.mathRandom) out.push(`${s.file}:${line} reads Math.random — ${rule.name}`);
    }
  }
  return out;
}

const root = process.cwd();
const sources = sourceFiles(root, ['daemon', 'models', 'extension', 'webviews']).map((f) => readSource(root, f));

test('imports follow the house rules', () => {
  const found = violations(sources);
  const unexpected = found.filter((v) => !KNOWN.includes(v));
  const fixed = KNOWN.filter((v) => !found.includes(v));
  assert.deepEqual(unexpected, [], `imports that break the house rules:\n${unexpected.join('\n')}`);
  assert.deepEqual(fixed, [], `fixed — remove from KNOWN in test/unit/house/boundaries.test.ts:\n${fixed.join('\n')}`);
});

test('the scanner sees what the rules need', () => {
  // Guards against a rule passing because the scanner stopped seeing imports.
  const byFile = new Map(sources.map((s) => [s.file, s]));
  const img2img = byFile.get('webviews/img2img/main.ts');
  assert.ok(img2img?.imports.some((r) => r.target === 'webviews/common/generationPanel' && !r.typeOnly), 'webviews/img2img/main.ts imports webviews/common');
  const messages = byFile.get('webviews/common/messages.ts');
  assert.ok(messages?.imports.some((r) => r.target === PROTOCOL && r.typeOnly), 'webviews/common/messages.ts imports protocol types');
  const sessions = byFile.get('models/sessions.ts');
  assert.ok(sessions?.imports.some((r) => r.specifier === 'onnxruntime-node' && !r.typeOnly), 'models/sessions.ts imports onnxruntime-node');
  assert.ok(sources.length > 200, `${sources.length} source files`);
  // Each rule catches what it should, on made-up files.
  const fake = (file: string, specifier: string, typeOnly = false, mathRandom: number[] = []): SourceFacts =>
    ({ file, imports: [importRef(file, 1, specifier, typeOnly)], mathRandom });
  const cases: Array<[SourceFacts, RegExp]> = [
    [fake('webviews/img2img/main.ts', '../../daemon/protocol'), /types only/],
    [fake('webviews/img2img/main.ts', '../inpaint/maskPainter'), /imports webviews\/inpaint\/maskPainter/],
    [fake('webviews/common/dom.ts', 'node:fs'), /package "node:fs"/],
    [fake('extension/commands.ts', '../daemon/jobs', true), /imports daemon\/jobs/],
    [fake('daemon/sampling/noise.ts', 'node:crypto'), /Node module/],
    [fake('daemon/sampling/noise.ts', '../errors'), /imports daemon\/errors/],
    [fake('daemon/sampling/noise.ts', './rng', false, [12]), /Math\.random/],
    [fake('models/hash.ts', '../daemon/protocol', true), /never imports daemon/],
    [fake('daemon/parts/unet.ts', 'onnxruntime-node'), /only importer of onnxruntime/],
    [fake('daemon/cli/commands/demo.ts', '../../../test/fixtures/tinySd'), /never imports test/],
  ];
  for (const [facts, want] of cases) assert.match(violations([facts]).join('\n'), want, `${facts.file} → ${facts.imports[0]?.specifier}`);
  assert.deepEqual(violations([fake('webviews/img2img/main.ts', '../../daemon/protocol', true)]), []);
  assert.deepEqual(violations([fake('extension/ctx.ts', '../webviews/common/messages', true)]), []);
});

