// AND, extra networks, the prompt document with offsets and diagnostics, and a fuzz that nothing throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClipTokenizer,
  getMulticondPromptList,
  inspectPrompt,
  parseExtraNetworks,
  parsePrompt,
  parsePromptAttention,
  getLearnedConditioningPromptSchedules,
  readLora,
  tokenizeChunks,
  type SyntaxNode,
} from '../../../daemon/prompt';
import { sharedPath } from '../../sharedPath';

test('AND splits on the word only, weights and spaces as A1111 keys them', () => {
  const r = getMulticondPromptList(['a cat AND a dog:0.5 AND ANDROID :  1.5  ']);
  assert.deepEqual(r.flat, ['a cat', ' a dog', ' ANDROID']);
  assert.deepEqual(r.indexes[0], [[0, 1], [1, 0.5], [2, 1.5]]);
  const shared = getMulticondPromptList(['x AND x', 'x']);
  assert.deepEqual(shared.flat, ['x', ' x']); // trailing spaces go, leading stay
  assert.deepEqual(shared.indexes, [[[0, 1], [1, 1]], [[0, 1]]]);
  const neg = getMulticondPromptList(['a:-1 AND b:.5 AND c:2.']);
  assert.deepEqual(neg.indexes[0]!.map((x) => x[1]), [-1, 0.5, 2]);
  assert.deepEqual(getMulticondPromptList(['a\nb:2']).flat, ['a\nb']);
});

test('extra-network tags are removed, weights read as A1111', () => {
  const r = parseExtraNetworks('a <lora:detail:0.6> cat <hypernet:h> <lora:x:1:0.5> <lora:y:te=0.3:unet=0.2>');
  assert.equal(r.text, 'a  cat   ');
  assert.deepEqual(r.networks.map((n) => [n.type, n.positional, n.named]), [
    ['lora', ['detail', '0.6'], {}],
    ['hypernet', ['h'], {}],
    ['lora', ['x', '1', '0.5'], {}],
    ['lora', ['y'], { te: '0.3', unet: '0.2' }],
  ]);
  const l = readLora(r.networks[2]!);
  assert.ok('lora' in l && l.lora.weight === 1 && l.lora.unetWeight === 0.5);
  const d = readLora(r.networks[0]!);
  assert.ok('lora' in d && d.lora.weight === 0.6 && d.lora.unetWeight === 0.6);
  assert.ok('error' in readLora(parseExtraNetworks('<lora:a:heavy>').networks[0]!));
});

test('parsePrompt: offsets for nodes survive removed tags and AND', () => {
  const text = '<lora:x:1>a [cat:dog:5] AND (b:1.2):0.7';
  const doc = parsePrompt(text);
  assert.equal(doc.parts.length, 2);
  const sched = doc.parts[0]!.nodes.find((n) => n.kind === 'scheduled') as Extract<SyntaxNode, { kind: 'scheduled' }>;
  assert.equal(text.slice(sched.start, sched.end), '[cat:dog:5]');
  assert.equal(text.slice(sched.when.start, sched.when.end), '5');
  const emph = doc.parts[1]!.nodes.find((n) => n.kind === 'emphasis')!;
  assert.equal(text.slice(emph.start, emph.end), '(b:1.2)');
  assert.equal(doc.parts[1]!.weight, 0.7);
  assert.equal(text.slice(doc.parts[1]!.weightSpan!.start, doc.parts[1]!.weightSpan!.end), '0.7');
  assert.equal(text.slice(doc.networks[0]!.start, doc.networks[0]!.end), '<lora:x:1>');
  assert.deepEqual(doc.diagnostics, []);
});

test('diagnostics: what A1111 rejects and what it silently reads its own way', () => {
  const codes = (t: string) => parsePrompt(t).diagnostics.map((d) => `${d.code}:${d.a1111}`);
  assert.deepEqual(codes('(a:1.2.3)'), ['bad-weight:fails']);
  assert.deepEqual(codes('(a cat'), ['unclosed:accepts']);
  assert.deepEqual(codes('a cat)'), ['unmatched-close:accepts']);
  assert.deepEqual(codes('(a BREAK b)'), ['break-in-brackets:accepts']);
  assert.deepEqual(codes('a | [b:c:3]'), ['editing-ignored:accepts']);
  assert.deepEqual(codes('<lora:x:heavy>'), ['network-weight:fails']);
  assert.deepEqual(codes('<foo:x>'), ['unknown-network:accepts']);
  assert.deepEqual(codes('[a:b:1.5]'), ['when-after-end:accepts']);
  assert.deepEqual(codes('trailing \\'), ['editing-ignored:accepts', 'lone-backslash:accepts']);
  const d = parsePrompt('ok (x:1.2.3)').diagnostics[0]!;
  assert.equal('ok (x:1.2.3)'.slice(d.start, d.end), ':1.2.3)');
  assert.deepEqual(parsePrompt('a BREAK b').parts[0]!.breaks, [{ start: 2, end: 7 }]);
});

test('fuzz: malformed prompts never throw', () => {
  const tok = ClipTokenizer.fromDir(sharedPath('models-fixtures', 'clip-tokenizer'));
  const atoms = ['a', ' ', '(', ')', '[', ']', ':', '|', '\\', '1.2', '.5', '3', 'BREAK', ' AND ', '<lora:', '>', ',', ':1.2.3)', 'é', '\n', '<', 'x=1'];
  let seed = 12345;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let k = rnd(20); k >= 0; k--) s += atoms[rnd(atoms.length)];
    const doc = parsePrompt(s);
    for (const d of doc.diagnostics) assert.ok(d.start >= 0 && d.end <= s.length && d.start <= d.end, s);
    getLearnedConditioningPromptSchedules([s], 10, 5);
    const r = inspectPrompt(s, { steps: 10, tokenizer: i % 10 === 0 ? tok : null });
    assert.ok(Array.isArray(r.inspection.schedules));
    try {
      parsePromptAttention(s);
      if (i % 10 === 0) tokenizeChunks(s, tok);
    } catch (e) {
      assert.equal((e as Error).name === 'Error' && /emphasis weight/.test((e as Error).message), true, s);
    }
  }
});

test('inspectPrompt: the --json shape', () => {
  const tok = ClipTokenizer.fromDir(sharedPath('models-fixtures', 'clip-tokenizer'));
  const r = inspectPrompt('a [cat:dog:0.5] <lora:detail:0.6> AND (b BREAK c):0.5', { steps: 10, tokenizer: tok });
  assert.deepEqual(Object.keys(r.inspection), ['schedules', 'and', 'chunks', 'tokenCount', 'loras', 'embeddings']);
  assert.deepEqual(r.inspection.and, [{ text: 'a [cat:dog:0.5]', weight: 1 }, { text: ' (b BREAK c)', weight: 0.5 }]);
  assert.deepEqual(r.inspection.schedules.map((s) => [s.end, s.text]), [[5, 'a cat'], [10, 'a dog'], [10, ' (b BREAK c)']]);
  assert.deepEqual(r.inspection.schedules[2]!.attention, [[' ', 1], ['b', 1.1], ['BREAK', -1.1], ['c', 1.1]]);
  assert.deepEqual(r.inspection.loras, [{ name: 'detail', weight: 0.6 }]);
  assert.equal(r.inspection.tokenCount, 3);
  assert.deepEqual(r.inspection.chunks, [{ tokens: 3 }]);
  const none = inspectPrompt('a cat', {});
  assert.equal(none.tokensAvailable, false);
  assert.equal(none.inspection.tokenCount, null);
});
