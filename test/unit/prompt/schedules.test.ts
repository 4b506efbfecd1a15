// modules/prompt_parser.py: get_learned_conditioning_prompt_schedules: A1111's doctests plus hires, old scheduling,
// img2img.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getLearnedConditioningPromptSchedules, img2imgTextsPerStep, scheduleAt } from '../../../daemon/prompt';

const g = (p: string) => getLearnedConditioningPromptSchedules([p], 10)[0]!; // one prompt in, one schedule out

test('A1111 doctests (10 steps)', () => {
  assert.deepEqual(g('test'), [[10, 'test']]);
  assert.deepEqual(g('a [b:3]'), [[3, 'a '], [10, 'a b']]);
  assert.deepEqual(g('a [b: 3]'), [[3, 'a '], [10, 'a b']]);
  assert.deepEqual(g('a [[[b]]:2]'), [[2, 'a '], [10, 'a [[b]]']]);
  assert.deepEqual(g('[(a:2):3]'), [[3, ''], [10, '(a:2)']]);
  assert.deepEqual(g('a [b : c : 1] d'), [[1, 'a b  d'], [10, 'a  c  d']]);
  assert.deepEqual(g('a[b:[c:d:2]:1]e'), [[1, 'abe'], [2, 'ace'], [10, 'ade']]);
  assert.deepEqual(g('a [unbalanced'), [[10, 'a [unbalanced']]);
  assert.deepEqual(g('a [b:.5] c'), [[5, 'a  c'], [10, 'a b c']]);
  assert.deepEqual(g('((a][:b:c [d:3]'), [[3, '((a][:b:c '], [10, '((a][:b:c d']]);
  assert.deepEqual(g('[a|(b:1.1)]'), [
    [1, 'a'], [2, '(b:1.1)'], [3, 'a'], [4, '(b:1.1)'], [5, 'a'],
    [6, '(b:1.1)'], [7, 'a'], [8, '(b:1.1)'], [9, 'a'], [10, '(b:1.1)'],
  ]);
  assert.deepEqual(g('[fe|]male'), [
    [1, 'female'], [2, 'male'], [3, 'female'], [4, 'male'], [5, 'female'],
    [6, 'male'], [7, 'female'], [8, 'male'], [9, 'female'], [10, 'male'],
  ]);
  assert.deepEqual(g('[fe|||]male'), [
    [1, 'female'], [2, 'male'], [3, 'male'], [4, 'male'], [5, 'female'],
    [6, 'male'], [7, 'male'], [8, 'male'], [9, 'female'], [10, 'male'],
  ]);
});

test('the {b|d{ doctest: lark ≥ 1.1.5 rejects it, so A1111 uses the prompt verbatim', () => {
  // The doctest's expected value came from lark 1.1.2 (docs/a1111-behaviour.md: Quirks kept on purpose). We follow
  // 1.1.5.
  assert.deepEqual(g('a [{b|d{:.5] c'), [[10, 'a [{b|d{:.5] c']]);
});

test('hires doctests: when counts from the end of the first pass', () => {
  const h = (p: string) => getLearnedConditioningPromptSchedules([p], 10, 10)[0];
  assert.deepEqual(h('a [b:.5] c'), [[10, 'a b c']]);
  assert.deepEqual(h('a [b:1.5] c'), [[5, 'a  c'], [10, 'a b c']]);
  assert.deepEqual(h('a [b:15] c'), [[5, 'a  c'], [10, 'a b c']]);
});

test('fractional and integer when, clamping, negative steps', () => {
  assert.deepEqual(g('[a:b:0.3]'), [[3, 'a'], [10, 'b']]);
  assert.deepEqual(g('[a:b:0.75]'), [[7, 'a'], [10, 'b']]);
  assert.deepEqual(g('[a:b:1.5]'), [[10, 'a']]); // fraction ≥ 1: clamped to steps, never switches
  assert.deepEqual(g('[a:b:25]'), [[10, 'a']]);
  assert.deepEqual(g('[a:b:0]'), [[10, 'b']]);
  assert.deepEqual(g('[a:b:-2]'), [[10, 'b']]);
  assert.deepEqual(g('[a::4]'), [[4, 'a'], [10, '']]);
  assert.deepEqual(g('[a:b:1e1]'), [[10, 'a']]); // lark's SIGNED_NUMBER takes exponents
});

test('old scheduling: < 1 is a fraction, no hires offset', () => {
  const o = (p: string) => getLearnedConditioningPromptSchedules([p], 10, 20, true)[0];
  assert.deepEqual(o('[a:b:0.5]'), [[5, 'a'], [10, 'b']]);
  assert.deepEqual(o('[a:b:3]'), [[3, 'a'], [10, 'b']]);
  assert.deepEqual(o('[a:b:3.0]'), [[3, 'a'], [10, 'b']]);
});

test('nesting: editing inside emphasis and alternation', () => {
  assert.deepEqual(g('(a [b:c:5]:1.2)'), [[5, '(a b:1.2)'], [10, '(a c:1.2)']]);
  assert.deepEqual(getLearnedConditioningPromptSchedules(['[a|[b:c:2]]'], 4)[0], [[1, 'a'], [2, 'b'], [3, 'a'], [4, 'c']]);
});

test('parse failures keep the prompt verbatim', () => {
  assert.deepEqual(g('a | [b:3]'), [[10, 'a | [b:3]']]);
  assert.deepEqual(g('[b:3] \\'), [[10, '[b:3] \\']]);
  assert.deepEqual(g('[[b:3]'), [[3, '['], [10, '[b']]); // a stray "[" then a schedule, as lark reads it
});

test('the same prompt is computed once and shared', () => {
  const r = getLearnedConditioningPromptSchedules(['x [a:b:2]', 'y', 'x [a:b:2]'], 10);
  assert.equal(r[0], r[2]);
  assert.deepEqual(r[1], [[10, 'y']]);
});

test('lookup during sampling: 0-based calls, and img2img counts from the first step run', () => {
  const s = g('[a:b:3]');
  // 10 steps, [a:b:3]: "a" for calls 0-3 (four calls), "b" for the other six
  const texts = img2imgTextsPerStep(s, 10);
  assert.deepEqual(texts, ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'b', 'b']);
  assert.equal(scheduleAt(s, 3)[1], 'a');
  assert.equal(scheduleAt(s, 4)[1], 'b');
  // img2img with denoise 0.5 at 10 steps: t_enc = 5, so 6 steps run; the counter still starts at 0
  const late = g('[a:b:8]');
  assert.deepEqual(img2imgTextsPerStep(late, 6), ['a', 'a', 'a', 'a', 'a', 'a']); // the switch is never reached
});
