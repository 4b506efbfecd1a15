// CLIP BPE against ids from the original openai/CLIP algorithm (and the fixture's own note).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClipTokenizer } from '../../../daemon/prompt';
import { sharedPath } from '../../sharedPath';

const tok = ClipTokenizer.fromDir(sharedPath('models-fixtures', 'clip-tokenizer'));

test('known ids from the fixture note', () => {
  assert.deepEqual(tok.encode('a photo of a cat'), [320, 1125, 539, 320, 2368]);
  assert.deepEqual(
    tok.encode('A  Photo of an astronaut riding a horse on Mars, 4k!'),
    [320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 267, 275, 330, 256],
  );
});

test('fromFiles equals fromDir; special ids come from the vocab', () => {
  const t2 = ClipTokenizer.fromFiles(
    sharedPath('models-fixtures', 'clip-tokenizer', 'vocab.json'),
    sharedPath('models-fixtures', 'clip-tokenizer', 'merges.txt'),
  );
  assert.deepEqual(t2.encode('hello world'), tok.encode('hello world'));
  assert.equal(tok.bosId, 49406);
  assert.equal(tok.eosId, 49407);
  assert.equal(tok.padId, 49407);
  assert.equal(tok.padIdFor('sd1'), 49407);
  assert.equal(tok.padIdFor('sd2'), 0);
  assert.equal(tok.vocabSize, 49408);
  assert.equal(tok.commaId, 267);
  assert.equal(tok.tokenToString(2368), 'cat</w>');
  assert.equal(tok.decode(tok.encode('A photo of a cat')), 'a photo of a cat');
});

// ids computed with openai/CLIP simple_tokenizer's algorithm (the HF normalizer instead of ftfy)
const REAL: [string, number[]][] = [
  [
    'masterpiece, best quality, ultra-detailed, 8k, photorealistic, 1girl, solo, looking at viewer, long hair, cinematic lighting',
    [12066, 267, 949, 3027, 267, 8118, 268, 12609, 267, 279, 330, 267, 1153, 16157, 267, 272, 1611, 267, 5797, 267, 1312, 536, 15061, 267, 1538, 2225, 267, 25602, 5799],
  ],
  [
    'a portrait of an old man, oil painting by Greg Rutkowski and Alphonse Mucha, trending on artstation, highly detailed, sharp focus',
    [320, 5352, 539, 550, 896, 786, 267, 2870, 3086, 638, 7943, 14973, 17649, 537, 37865, 611, 42191, 267, 6087, 525, 1486, 2631, 267, 5302, 12609, 267, 8157, 4353],
  ],
  [
    'lowres, bad anatomy, bad hands, text, error, missing fingers, extra digit, fewer digits, cropped, worst quality, low quality, normal quality, jpeg artifacts, signature, watermark, username, blurry',
    [1049, 934, 267, 2103, 15376, 267, 2103, 3500, 267, 4160, 267, 12097, 267, 3423, 9690, 267, 4231, 27472, 267, 19128, 31710, 267, 31139, 267, 5719, 3027, 267, 1042, 3027, 267, 5967, 3027, 267, 73, 11207, 30249, 267, 9189, 267, 2505, 2110, 267, 28162, 267, 21977],
  ],
  [
    'Café Müller at night, naïve façade, don\'t stop, it\'s 3:45 PM — “neon” signs, 東京',
    [15304, 28142, 7722, 536, 930, 267, 1097, 35689, 563, 778, 10067, 1928, 267, 847, 713, 1691, 267, 585, 568, 274, 281, 275, 276, 990, 2005, 728, 506, 13919, 728, 507, 4659, 267, 48338, 21078, 361],
  ],
];

test('real prompts give CLIP ids', () => {
  for (const [text, ids] of REAL) assert.deepEqual(tok.encode(text), ids, text);
});

test('cleaning: whitespace runs, case, NFC; special tokens stay special', () => {
  assert.deepEqual(tok.encode('  A\t\nCAT  '), tok.encode('a cat'));
  assert.deepEqual(tok.encode('cafe\u0301'), tok.encode('café'));
  assert.deepEqual(tok.encode('<|endoftext|>'), [49407]);
  assert.deepEqual(tok.encode(''), []);
});

test('the cache returns the same ids and is fast', () => {
  const text = REAL[0]![0].repeat(20);
  const first = tok.encode(text);
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) assert.equal(tok.encode(text).length, first.length);
  assert.ok(performance.now() - t0 < 2000);
});

test('the bundled tokenizer (OpenAI\'s BPE file, as SimpleTokenizer reads it) equals the Hugging Face files', async () => {
  const { bundledTokenizerDir } = await import('../../../models/bundledTokenizer');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const cache = mkdtempSync(join(tmpdir(), 'sd-studio-tok-'));
  try {
    const dir = bundledTokenizerDir(cache);
    assert.equal(dir, join(cache, 'clip-tokenizer'));
    const want = JSON.parse(readFileSync(sharedPath('models-fixtures', 'clip-tokenizer', 'vocab.json'), 'utf8')) as Record<string, number>;
    const got = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    assert.deepEqual(got, want);
    assert.equal(readFileSync(join(dir, 'merges.txt'), 'utf8'), readFileSync(sharedPath('models-fixtures', 'clip-tokenizer', 'merges.txt'), 'utf8'));
    assert.deepEqual(ClipTokenizer.fromDir(dir).encode('A  Photo of an astronaut riding a horse on Mars, 4k!'), tok.encode('A  Photo of an astronaut riding a horse on Mars, 4k!'));
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
