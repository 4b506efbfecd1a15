// The .sdprompt document model: prompt offsets ↔ file positions, across escapes, comments and the negative line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSdPrompt, regionAt, specAtLine } from '../../../daemon/language/document';

const FILE = [
  '# first',
  '@init: ./cat.png',
  'a cat, (hat:1.2)',
  '\\#tag line',
  'Negative prompt: blurry, (low',
  'Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512',
  '---',
  'a dog',
].join('\n');

test('regions map prompt offsets to file positions (escaped lines shift by one)', () => {
  const m = analyzeSdPrompt(FILE);
  assert.equal(m.specs.length, 2);
  const p = m.specs[0]!.prompt!;
  assert.equal(p.text, 'a cat, (hat:1.2)\n#tag line');
  assert.deepEqual(p.positionAt(2), { line: 2, character: 2 });
  assert.deepEqual(p.positionAt(p.text.indexOf('#tag')), { line: 3, character: 1 });
  assert.equal(p.offsetAt({ line: 3, character: 1 }), p.text.indexOf('#tag'));
  assert.equal(p.offsetAt({ line: 1, character: 3 }), null);
  const n = m.specs[0]!.negative!;
  assert.equal(n.text, 'blurry, (low');
  assert.deepEqual(n.positionAt(0), { line: 4, character: 17 });
  assert.equal(regionAt(m, { line: 4, character: 20 })?.region.kind, 'negative');
  assert.equal(regionAt(m, { line: 5, character: 3 }), undefined);
  assert.equal(specAtLine(m, 7)?.index, 1);
});
