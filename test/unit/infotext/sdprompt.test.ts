// .sdprompt: parse → print → parse is the identity; an infotext-derived spec prints the infotext back;
// positions point at the text they name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sharedPath } from '../../sharedPath';
import { parseSdPrompt, printSdPrompt, specData, specFromInfotext, specInfotext, type Range } from '../../../daemon/infotext/sdprompt';
import { parseGenerationParameters } from '../../../daemon/infotext/a1111';
import { readGenerationInfoFile } from '../../../daemon/infotext/readInfo';

const FILE = `# portrait set — two specs
@init: ../photos/cat.png
@resize-mode: crop-and-resize
@outdir: ./out
a cat, (masterpiece:1.2)
  indented line kept
Negative prompt: blurry
Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1, Size: 512x768, Lora hashes: "a: 0123456789ab, b: ba9876543210", Denoising strength: 0.6

---
\\# a prompt line starting with a hash
\\@ and one starting with at
\\---
plain prompt without parameters
---
@mask: m.png
Negative prompt:
Steps: 1, Seed: 2, CFG scale: 3
`;

test('parse: specs, comments, directives, escapes, parameters', () => {
  const f = parseSdPrompt(FILE);
  assert.deepEqual(f.problems, []);
  assert.equal(f.specs.length, 3);
  const [a, b, c] = f.specs;
  assert.ok(a && b && c);
  assert.deepEqual(a.comments, [' portrait set — two specs']);
  assert.deepEqual(a.directives, [{ key: 'init', value: '../photos/cat.png' }, { key: 'resize-mode', value: 'crop-and-resize' }, { key: 'outdir', value: './out' }]);
  assert.equal(a.prompt, 'a cat, (masterpiece:1.2)\n  indented line kept');
  assert.equal(a.negativePrompt, 'blurry');
  assert.equal(parseGenerationParameters(specInfotext(a)).fields['Denoising strength'], '0.6');
  assert.equal(b.prompt, '# a prompt line starting with a hash\n@ and one starting with at\n---\nplain prompt without parameters');
  assert.equal(b.paramsLine, null);
  assert.equal(c.negativePrompt, '');
  assert.deepEqual(c.directives, [{ key: 'mask', value: 'm.png' }]);
});

test('positions name the text they cover', () => {
  const lines = FILE.split('\n');
  const at = (r: Range) => (r.start.line === r.end.line ? lines[r.start.line]!.slice(r.start.character, r.end.character) : null);
  const [a] = parseSdPrompt(FILE).specs;
  assert.ok(a);
  assert.equal(at(a.directiveRanges[0]!.key), 'init');
  assert.equal(at(a.directiveRanges[0]!.value), '../photos/cat.png');
  assert.equal(at(a.negativeRange!), 'blurry');
  const lora = a.params.find((p) => p.key === 'Lora hashes')!;
  assert.equal(at(lora.keyRange), 'Lora hashes');
  assert.equal(at(lora.valueRange), '"a: 0123456789ab, b: ba9876543210"');
  assert.equal(a.params.length, 8);
  const bad = parseSdPrompt('@what: x\n@ nope\nprompt\n');
  assert.deepEqual(bad.problems.map((p) => [p.range.start.line, p.message.slice(0, 12)]), [[0, 'unknown key '], [1, 'expected "@k']]);
});

test('parse → print → parse is the identity', () => {
  for (const text of [FILE, '', 'just a prompt', '\n\n---\n---\n#c\n', 'a\\\\#x\n\\\\\\@y\nSteps: 1, Seed: 2, CFG scale: 3 \n']) {
    const once = parseSdPrompt(text).specs.map(specData);
    const twice = parseSdPrompt(printSdPrompt(once)).specs.map(specData);
    assert.deepEqual(twice, once, JSON.stringify(text));
  }
});

test('a spec made from each corpus infotext prints the infotext back and regenerates the same parameters', () => {
  const manifest: Array<{ file: string }> = JSON.parse(readFileSync(sharedPath('pnginfo-corpus', 'manifest.json'), 'utf8'));
  let n = 0;
  for (const { file } of manifest) {
    const info = readGenerationInfoFile(sharedPath('pnginfo-corpus', file));
    if (!info.infotext) continue;
    n++;
    const spec = specFromInfotext(info.infotext, [{ key: 'init', value: file }]);
    assert.equal(specInfotext(spec), info.infotext);
    const printed = printSdPrompt([spec]);
    assert.ok(printed.endsWith(`${info.infotext}\n`));
    const back = parseSdPrompt(printed).specs[0]!;
    assert.deepEqual(specData(back), spec);
    assert.deepEqual(parseGenerationParameters(specInfotext(back)), parseGenerationParameters(info.infotext));
  }
  assert.ok(n >= 6);
});
