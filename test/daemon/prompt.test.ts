// `sd-studio prompt` from the built CLI (dist/cli.js) through the daemon's `sd/prompt.inspect`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './harness';
import { sharedPath } from '../sharedPath';

const built = existsSync('dist/cli.js');
const TOKENIZER = sharedPath('models-fixtures', 'clip-tokenizer');

test('prompt --json: exactly the published shape, tokens from SD_STUDIO_TOKENIZER', { skip: !built && 'run `npm run build` first' }, () => {
  const r = runCli(['prompt', 'a [cat:dog:0.5], (detailed:1.2) <lora:film:0.7> AND neon BREAK city:0.5', '--steps', '10', '--json'], { SD_STUDIO_TOKENIZER: TOKENIZER });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j), ['schedules', 'and', 'chunks', 'tokenCount', 'loras', 'embeddings']);
  assert.deepEqual(j.and, [{ text: 'a [cat:dog:0.5], (detailed:1.2)', weight: 1 }, { text: ' neon BREAK city', weight: 0.5 }]);
  assert.deepEqual(j.schedules.map((s: { end: number; text: string }) => [s.end, s.text]), [
    [5, 'a cat, (detailed:1.2)'],
    [10, 'a dog, (detailed:1.2)'],
    [10, ' neon BREAK city'],
  ]);
  assert.deepEqual(j.schedules[0].attention, [['a cat, ', 1], ['detailed', 1.2]]);
  assert.deepEqual(j.schedules[2].attention, [[' neon', 1], ['BREAK', -1], ['city', 1]]);
  assert.deepEqual(j.loras, [{ name: 'film', weight: 0.7 }]);
  assert.equal(j.tokenCount, 76); // " neon BREAK city": 75 for the broken chunk + 1
  assert.deepEqual(j.chunks, [{ tokens: 1 }, { tokens: 1 }]);
  assert.deepEqual(j.embeddings, []);
});

test('prompt --hires-steps: the second pass\'s schedules, when counted over both passes as A1111 does', { skip: !built }, () => {
  // get_learned_conditioning_prompt_schedules(["a [b:1.5] c [x:y:12]"], 10, 10): fractions after 1.0 and steps
  // after 10 fall in the hires pass.
  const r = runCli(['prompt', 'a [b:1.5] c [x:y:12]', '--steps', '10', '--hires-steps', '10', '--json'], { SD_STUDIO_TOKENIZER: '' });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j), ['schedules', 'and', 'chunks', 'tokenCount', 'loras', 'embeddings']);
  assert.deepEqual(j.schedules.map((s: { end: number; text: string }) => [s.end, s.text]), [[2, 'a  c x'], [5, 'a  c y'], [10, 'a b c y']]);
  const text = runCli(['prompt', 'a [b:1.5] c', '--steps', '10', '--hires-steps', '4'], { SD_STUDIO_TOKENIZER: '' });
  assert.match(text.stdout, /hires pass schedule[^\n]*\n  until hires step 2: "a  c"\n/);
});

test('prompt --model DIR reads DIR/tokenizer; a folder without one is an error', { skip: !built }, () => {
  const bad = runCli(['prompt', 'a cat', '--model', tempDir(), '--json']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /tokenizer/);
});

test('prompt with no model and no tokenizer configured counts tokens with the bundled CLIP tokenizer (empty HOME)', { skip: !built }, () => {
  const home = tempDir();
  const bare = { HOME: home, XDG_CACHE_HOME: '', HF_HOME: '', SD_STUDIO_CACHE_DIR: '', SD_STUDIO_TOKENIZER: '', SD_STUDIO_MODEL: '' };
  const r = runCli(['prompt', 'a photo of a cat', '--json'], bare);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.tokenCount, 5);
  assert.deepEqual(j.chunks, [{ tokens: 5 }]);
  assert.ok(existsSync(join(home, '.cache', 'sd-studio', 'clip-tokenizer', 'vocab.json')), 'written once into the cache');
  assert.doesNotMatch(r.stderr, /tokens unavailable|DeprecationWarning/);
});

test('prompt where no tokenizer can be had (cache not writable) still prints the parse and says tokens are unavailable', { skip: !built }, () => {
  const none = { SD_STUDIO_TOKENIZER: '', SD_STUDIO_MODEL: '', HF_HOME: '/nonexistent', SD_STUDIO_CACHE_DIR: '/dev/null/no-cache' };
  const r = runCli(['prompt', '(a cat', '--json'], none);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.tokenCount, null);
  assert.deepEqual(j.chunks, []);
  assert.deepEqual(j.schedules, [{ end: 20, text: '(a cat', attention: [['a cat', 1.1]] }]);
  assert.match(r.stderr, /tokens unavailable/);
  const text = runCli(['prompt', '(a cat'], none);
  assert.match(text.stdout, /tokens unavailable/);
  assert.match(text.stdout, /unclosed/);
});

test('prompt: a long real prompt counts as A1111 does, malformed input still answers', { skip: !built }, () => {
  const long = new Array(23).fill('cat cat cat cat cat cat cat cat cat,').join(' ');
  const r = runCli(['prompt', long, '--json'], { SD_STUDIO_TOKENIZER: TOKENIZER });
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.chunks, [{ tokens: 70 }, { tokens: 70 }, { tokens: 70 }, { tokens: 20 }]);
  assert.equal(j.tokenCount, 245);
  const m = runCli(['prompt', '((a:1.2.3) | [b:c \\', '--json'], { SD_STUDIO_TOKENIZER: TOKENIZER });
  assert.equal(m.code, 0, m.stderr);
  assert.equal(JSON.parse(m.stdout).schedules[0].attention, null);
});
