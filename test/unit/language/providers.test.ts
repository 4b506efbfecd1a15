// The pure .sdprompt providers on text: diagnostics, completions, hovers, code lenses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiagnosticSeverity, type MarkupContent } from 'vscode-languageserver';
import { sdPromptCodeLenses } from '../../../daemon/language/codeLens';
import { sdPromptCompletions } from '../../../daemon/language/completion';
import { sdPromptDiagnostics } from '../../../daemon/language/diagnostics';
import { analyzeSdPrompt } from '../../../daemon/language/document';
import { emptyEnv, type LanguageEnv } from '../../../daemon/language/languageEnv';
import { sdPromptHover } from '../../../daemon/language/hover';
import { networkIndex } from '../../../daemon/language/modelFolders';
import { chunkCrossings, weightAt } from '../../../daemon/language/promptTools';
import { ClipTokenizer } from '../../../daemon/prompt';
import { samplerCatalog, schedulerNames } from '../../../daemon/sampling';
import { sharedPath } from '../../sharedPath';

const tokenizer = ClipTokenizer.fromDir(sharedPath('models-fixtures', 'clip-tokenizer'));

function modelsRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'sd-lang-'));
  mkdirSync(join(root, 'Lora', 'styles'), { recursive: true });
  mkdirSync(join(root, 'embeddings'));
  writeFileSync(join(root, 'Lora', 'styles', 'filmGrain.safetensors'), 'x');
  writeFileSync(join(root, 'embeddings', 'EasyNegative.pt'), 'x');
  return root;
}

function env(over: Partial<LanguageEnv> = {}): LanguageEnv {
  const nets = networkIndex(modelsRoot());
  return emptyEnv({ samplers: samplerCatalog(), schedulers: schedulerNames, ...nets, tokenizer, docDir: '/docs', exists: (p) => p === '/docs/cat.png', ...over });
}

const codes = (text: string, e = env()) => sdPromptDiagnostics(analyzeSdPrompt(text), e).map((d) => d.code);

test('diagnostics: brackets, weights, sampler, schedule, LoRA, embedding, paths, resize mode', () => {
  const text = [
    '@init: ./missing.png',
    '@mask: ./cat.png',
    '@resize-mode: stretch',
    'a (cat, [dog <lora:filmGrain:0.7> <lora:nothere:1> (x:1.2.3) embedding:nope',
    'Negative prompt: EasyNegative)',
    'Steps: 20, Sampler: Euler z, Schedule type: Karras2, CFG scale: 7, Seed: 1, Size: 512x512',
  ].join('\n');
  const ds = sdPromptDiagnostics(analyzeSdPrompt(text), env());
  const byCode = (c: string) => ds.filter((d) => d.code === c);
  assert.equal(byCode('unclosed').length, 2);
  assert.equal(byCode('unmatched-close').length, 1);
  assert.equal(byCode('unmatched-close')[0]!.range.start.line, 4);
  assert.equal(byCode('bad-weight').length, 1);
  assert.equal(byCode('bad-weight')[0]!.severity, DiagnosticSeverity.Error);
  assert.equal(byCode('unknown-lora').length, 1);
  assert.match(String(byCode('unknown-lora')[0]!.message), /nothere/);
  assert.equal(byCode('unknown-embedding').length, 1);
  assert.equal(byCode('unknown-sampler').length, 1);
  assert.equal(byCode('unknown-schedule').length, 1);
  assert.equal(byCode('path-not-found').length, 1);
  assert.deepEqual(byCode('path-not-found')[0]!.range, { start: { line: 0, character: 7 }, end: { line: 0, character: 20 } });
  assert.equal(byCode('bad-resize-mode').length, 1);
  // Positions: the "(" of "(cat" on line 3, column 2.
  assert.deepEqual(byCode('unclosed')[0]!.range.start, { line: 3, character: 2 });
});

test('diagnostics: legacy sampler names and a clean spec give nothing', () => {
  assert.deepEqual(codes('a cat, (hat:1.2), <lora:filmGrain:1>\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1, Size: 512x512'), []);
});

test('diagnostics: infotext settings SD Studio does not apply yet are warned on their key', () => {
  const ds = sdPromptDiagnostics(analyzeSdPrompt('a cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512, Tiling: True, ControlNet 0: "Module: canny"'), env());
  const w = ds.filter((d) => d.code === 'not-honoured');
  assert.deepEqual(w.map((d) => d.severity), [DiagnosticSeverity.Warning, DiagnosticSeverity.Warning]);
  assert.match(String(w[0]!.message), /Tiling \(Tiling\)/);
  assert.deepEqual(w[1]!.range.start, { line: 1, character: 'Steps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512, Tiling: True, '.length });
});

test('diagnostics: a word group cut by the 75-token chunk boundary', () => {
  // 50 tokens in comma groups, then 40 words without a comma: the cut at 75 is 26 tokens after the last comma,
  // beyond A1111's 20-token backtrack.
  const long = `${new Array(5).fill('cat cat cat cat cat cat cat cat cat,').join(' ')} ${new Array(40).fill('dog').join(' ')}`;
  const crossings = chunkCrossings(long, tokenizer);
  assert.equal(crossings.length, 1);
  assert.equal(long.slice(crossings[0]!.start, crossings[0]!.end), new Array(40).fill('dog').join(' '));
  assert.equal(crossings[0]!.chunk, 1);
  assert.ok(codes(long).includes('chunk-boundary'));
  // Comma-separated short groups are moved whole by A1111's backtrack: no diagnostic.
  assert.ok(!codes(new Array(10).fill('cat cat cat cat cat cat cat cat cat,').join(' ')).includes('chunk-boundary'));
});

test('effective weight of the word under the cursor, A1111 order of multiplication', () => {
  const t = 'a ((cat:1.2) hat) [dog] [a:b:5] (open';
  assert.equal(weightAt(t, t.indexOf('cat'))!.weight, 1.2 * 1.1);
  assert.equal(weightAt(t, t.indexOf('hat'))!.weight, 1.1);
  assert.equal(weightAt(t, t.indexOf('dog'))!.weight, 1 / 1.1);
  assert.equal(weightAt(t, t.indexOf('b:5'))!.weight, 1);
  assert.equal(weightAt(t, t.indexOf('open') + 1)!.weight, 1.1);
});

test('completion: sampler and schedule names, keys, enumerated values, LoRA names, @keys', () => {
  const text = 'a cat <lora:fi\nSteps: 20, Sampler: DP, Schedule type: K, RNG: , CFG scale: 7\n@res';
  const m = analyzeSdPrompt(text);
  const at = (line: number, character: number) => sdPromptCompletions(m, { line, character }, env());
  const samplers = at(1, 'Steps: 20, Sampler: DP'.length);
  assert.ok(samplers.some((c) => c.label === 'DPM++ 2M'));
  assert.deepEqual((samplers[0]!.textEdit as { range: unknown }).range, { start: { line: 1, character: 20 }, end: { line: 1, character: 22 } });
  assert.ok(at(1, 'Steps: 20, Sampler: DP, Schedule type: K'.length).some((c) => c.label === 'Karras'));
  assert.deepEqual(at(1, 'Steps: 20, Sampler: DP, Schedule type: K, RNG: '.length).map((c) => c.label), ['GPU', 'CPU', 'NV']);
  assert.ok(at(1, 'Steps: 20, '.length).some((c) => c.label === 'Denoising strength'));
  const loras = at(0, 'a cat <lora:fi'.length);
  assert.deepEqual(loras.map((c) => c.label), ['filmGrain']);
  assert.equal((loras[0]!.textEdit as { newText: string }).newText, 'filmGrain:1>');
  assert.ok(at(0, 3).some((c) => c.label === 'EasyNegative'));
  assert.ok(at(2, 4).some((c) => c.label === '@resize-mode'));
});

test('hover: token counts per chunk and weight; LoRA file; "tokens unavailable" without a tokenizer', () => {
  const text = 'a (cat:1.3), <lora:filmGrain:0.5>\nSteps: 20, Sampler: Euler a, CFG scale: 7';
  const m = analyzeSdPrompt(text);
  const h = sdPromptHover(m, { line: 0, character: 5 }, env())!;
  const v = (h.contents as MarkupContent).value;
  assert.match(v, /effective weight \*\*1\.3\*\*/);
  assert.match(v, /\d+ tokens \(1 chunk: chunk 1: \d+\/75\)/);
  const lora = (sdPromptHover(m, { line: 0, character: 20 }, env())!.contents as MarkupContent).value;
  assert.match(lora, /filmGrain\.safetensors/);
  assert.match(lora, /text encoder 0\.5/);
  const none = (sdPromptHover(m, { line: 0, character: 5 }, env({ tokenizer: null }))!.contents as MarkupContent).value;
  assert.match(none, /tokens unavailable/);
  assert.match((sdPromptHover(m, { line: 1, character: 22 }, env())!.contents as MarkupContent).value, /Euler a/);
});

test('code lenses: two per spec with uri, index, resolved params and span', () => {
  const text = '# c\n@init: ./cat.png\n@resize-mode: crop-and-resize\na cat\nSteps: 12, Sampler: Euler, CFG scale: 5, Seed: 7, Size: 64x64\n---\n# only a comment\n---\nb dog';
  const lenses = sdPromptCodeLenses(analyzeSdPrompt(text), 'file:///docs/a.sdprompt', '/docs');
  assert.deepEqual(lenses.map((l) => [l.command!.title, l.range.start.line]), [['▶ Generate', 1], ['Generate ×4 seeds', 1], ['▶ Generate', 8], ['Generate ×4 seeds', 8]]);
  const [uri, index, params, span] = lenses[0]!.command!.arguments!;
  assert.equal(uri, 'file:///docs/a.sdprompt');
  assert.equal(index, 0);
  assert.deepEqual(span, { startLine: 0, endLine: 4 });
  // Read as A1111's paste reads the infotext (absent Schedule type / RNG take A1111's defaults), plus the @keys.
  assert.deepEqual(params, {
    prompt: 'a cat', negative_prompt: '', steps: 12, sampler_name: 'Euler', scheduler: 'Automatic', cfg_scale: 5, seed: 7, width: 64, height: 64,
    override_settings: { randn_source: 'GPU', sd_vae_decode_method: 'Full', sd_vae_encode_method: 'Full' }, init_images: ['/docs/cat.png'], resize_mode: 1,
  });
  assert.equal(lenses[2]!.command!.arguments![1], 2); // two `---` above
});

test('@style and @xyz: completions, diagnostics and the X/Y/Z code lens', () => {
  const e = env({ styles: ['Film', 'Warm light'], upscalers: ['Lanczos', 'R-ESRGAN 4x+'] });
  const labels = (text: string, line: number, ch: number) => sdPromptCompletions(analyzeSdPrompt(text), { line, character: ch }, e).map((c) => c.label);
  assert.ok(labels('@', 0, 1).includes('@xyz'));
  assert.deepEqual(labels('@style: ', 0, 8), ['Film', 'Warm light']);
  assert.ok(labels('@xyz: ', 0, 6).includes('Steps'));
  assert.ok(labels('@xyz: Sampler: Euler a, ', 0, 24).includes('DPM++ 2M'));
  assert.ok(labels('@xyz: Hires upscaler: ', 0, 22).includes('Latent (nearest-exact)'));
  assert.ok(labels('a cat\nSteps: 20, Hires upscaler: ', 1, 30).includes('R-ESRGAN 4x+'));
  const text = '@style: Film\n@style: Nope\n@xyz: Steps: 10-20 [3]\n@xyz: Sampler: Euler a, Euler b\n@xyz: Sideways: 1\na cat\nSteps: 20, Sampler: Euler, CFG scale: 7';
  assert.deepEqual(codes(text, e).filter((c) => c === 'unknown-style' || c === 'bad-xyz-axis'), ['unknown-style', 'bad-xyz-axis', 'bad-xyz-axis']);
  const lenses = sdPromptCodeLenses(analyzeSdPrompt('@style: Film\n@xyz: Steps: 10, 20\n@xyz: CFG Scale: 5-7\na cat\nSteps: 20, Sampler: Euler, CFG scale: 7'), 'file:///docs/a.sdprompt', '/docs');
  assert.deepEqual(lenses.map((l) => l.command!.title), ['▶ Generate X/Y/Z plot']);
  const [, , params, , xyz] = lenses[0]!.command!.arguments!;
  assert.deepEqual((params as { styles: string[] }).styles, ['Film']);
  assert.deepEqual(xyz, { x: { type: 'Steps', values: '10, 20' }, y: { type: 'CFG Scale', values: '5-7' } });
});

test('completion: few-step presets rewrite the parameters line (sampler, schedule, steps, CFG first; other keys kept)', () => {
  const line = 'Steps: 20, Sampler: Euler a, Seed: 5, Size: 512x512, CFG scale: 7, LC';
  const m = analyzeSdPrompt(`a cat\n${line}`);
  const items = sdPromptCompletions(m, { line: 1, character: line.length }, env());
  const lcm = items.find((c) => c.label === 'LCM preset')!;
  assert.ok(lcm, 'LCM preset offered');
  assert.ok(items.some((c) => c.label === 'Turbo preset') && items.some((c) => c.label === 'Lightning preset') && items.some((c) => c.label === 'Hyper-SD preset'));
  const edit = lcm.textEdit as { range: { start: { character: number }; end: { character: number } }; newText: string };
  assert.deepEqual([edit.range.start.character, edit.range.end.character], [0, line.length]);
  assert.equal(edit.newText, 'Steps: 4, Sampler: LCM, Schedule type: Automatic, CFG scale: 1, Seed: 5, Size: 512x512');
  // Every preset names a sampler and schedule the catalog has (a diagnostic-free line).
  for (const c of items.filter((i) => String(i.label).endsWith(' preset'))) {
    assert.deepEqual(codes(`a cat\n${(c.textEdit as { newText: string }).newText}`), [], String(c.label));
  }
});
