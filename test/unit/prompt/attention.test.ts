// modules/prompt_parser.py: parse_prompt_attention: A1111's doctests and its quirks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttentionWeightError, parsePromptAttention as p, tryParsePromptAttention } from '../../../daemon/prompt';

test('A1111 doctests', () => {
  assert.deepEqual(p('normal text'), [['normal text', 1.0]]);
  assert.deepEqual(p('an (important) word'), [['an ', 1.0], ['important', 1.1], [' word', 1.0]]);
  assert.deepEqual(p('(unbalanced'), [['unbalanced', 1.1]]);
  assert.deepEqual(p('\\(literal\\]'), [['(literal]', 1.0]]);
  assert.deepEqual(p('(unnecessary)(parens)'), [['unnecessaryparens', 1.1]]);
  assert.deepEqual(p('a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).'), [
    ['a ', 1.0],
    ['house', 1.5730000000000004],
    [' ', 1.1],
    ['on', 1.0],
    [' a ', 1.1],
    ['hill', 0.55],
    [', sun, ', 1.1],
    ['sky', 1.4641000000000006],
    ['.', 1.1],
  ]);
});

test('square brackets, nesting, explicit weights', () => {
  assert.deepEqual(p('[a]'), [['a', 1 / 1.1]]);
  assert.deepEqual(p('[[a]]'), [['a', (1 / 1.1) * (1 / 1.1)]]);
  assert.deepEqual(p('[a:1.5]'), [['a:1.5', 1 / 1.1]]); // squares never take a number
  assert.deepEqual(p('(a:1.5)'), [['a', 1.5]]);
  assert.deepEqual(p('(a: 0.5 )'), [['a', 0.5]]);
  assert.deepEqual(p('((a:2) b)'), [['a', 2 * 1.1], [' b', 1.1]]);
  assert.deepEqual(p('(a:-1)'), [['a', -1]]);
  assert.deepEqual(p(''), [['', 1.0]]);
});

test('unbalanced brackets and stray closers', () => {
  assert.deepEqual(p('a) b]'), [['a) b]', 1.0]]);
  assert.deepEqual(p('a:1.2) b'), [['a:1.2) b', 1.0]]);
  assert.deepEqual(p('[a (b'), [['a ', 1 / 1.1], ['b', 1.1 * (1 / 1.1)]]);
  assert.deepEqual(p('((a][:b:c [d:3]'), [['a]', 1.2100000000000002], [':b:c ', 1.1], ['d:3', 1.0]]);
});

test('escapes, including a lone backslash', () => {
  assert.deepEqual(p('\\\\'), [['\\', 1.0]]);
  assert.deepEqual(p('a\\b'), [['ab', 1.0]]);
  assert.deepEqual(p('(\\))'), [[')', 1.1]]);
});

test('BREAK, also inside parentheses', () => {
  assert.deepEqual(p('a BREAK b'), [['a', 1.0], ['BREAK', -1], ['b', 1.0]]);
  assert.deepEqual(p('aBREAK b'), [['aBREAK b', 1.0]]);
  assert.deepEqual(p('éBREAK b'), [['éBREAK b', 1.0]]); // Python's Unicode \b
  assert.deepEqual(p('(a BREAK b)'), [['a', 1.1], ['BREAK', -1.1], ['b', 1.1]]);
  assert.deepEqual(p('(a BREAK b:1.2)'), [['a', 1.2], ['BREAK', -1.2], ['b', 1.2]]);
});

test('(a:1.2.3) raises where A1111 raises ValueError', () => {
  assert.throws(() => p('(a:1.2.3)'), AttentionWeightError);
  const r = tryParsePromptAttention('x (a:1.2.3)');
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.error.offset === 5);
  assert.deepEqual(p('a:1.2.3)'), [['a:1.2.3)', 1.0]]); // no open paren: just text
});
