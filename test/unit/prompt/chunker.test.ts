// 75-token chunking as A1111's modules/sd_hijack_clip.py: TextConditionalModel.tokenize_line: comma backtrack, BREAK,
// embeddings, model input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClipTokenizer, tokenizeChunks, toModelInput, padChunks } from '../../../daemon/prompt';
import { sharedPath } from '../../sharedPath';

const tok = ClipTokenizer.fromDir(sharedPath('models-fixtures', 'clip-tokenizer'));
const CAT = 2368;
const COMMA = 267;
const words = (w: string, n: number) => new Array<string>(n).fill(w).join(' ');
/** `groups` × ("cat"·9 + ","): a comma every 10 tokens, at chunk indices 9, 19, ..., 69. */
const commaGroups = (groups: number) => new Array<string>(groups).fill(words('cat', 9) + ',').join(' ');

test('short prompt: one chunk padded with EOS, A1111 count', () => {
  const r = tokenizeChunks('a photo of a cat', tok);
  assert.equal(r.tokenCount, 5);
  assert.equal(r.chunks.length, 1);
  const c = r.chunks[0]!;
  assert.equal(c.length, 5);
  assert.equal(c.tokens.length, 75);
  assert.deepEqual(c.tokens.slice(0, 6), [320, 1125, 539, 320, CAT, 49407]);
  assert.ok(c.multipliers.every((m) => m === 1));
});

test('empty prompt still gives one (empty) chunk', () => {
  const r = tokenizeChunks('', tok);
  assert.equal(r.chunks.length, 1);
  assert.equal(r.tokenCount, 0);
});

test('exactly 75 tokens stay in one chunk; 80 without commas split hard at 75', () => {
  assert.equal(tokenizeChunks(words('cat', 75), tok).chunks.length, 1);
  const r = tokenizeChunks(words('cat', 80), tok);
  assert.deepEqual(r.chunks.map((c) => c.length), [75, 5]);
  assert.equal(r.tokenCount, 80);
});

test('over 75: the words after the last comma move to the next chunk', () => {
  const r = tokenizeChunks(commaGroups(7) + ' ' + words('dog', 10), tok);
  assert.deepEqual(r.chunks.map((c) => c.length), [70, 10]);
  assert.equal(r.chunks[0]!.tokens[69], COMMA);
  assert.equal(r.chunks[0]!.tokens[70], 49407);
  assert.equal(tok.tokenToString(r.chunks[1]!.tokens[0]!), 'dog</w>');
  assert.equal(r.tokenCount, 85); // 75 for the first chunk, as A1111's counter
});

test('over 150 and 225: every chunk breaks at its last comma', () => {
  const r160 = tokenizeChunks(commaGroups(16), tok);
  assert.deepEqual(r160.chunks.map((c) => c.length), [70, 70, 20]);
  const r230 = tokenizeChunks(commaGroups(23), tok);
  assert.deepEqual(r230.chunks.map((c) => c.length), [70, 70, 70, 20]);
  assert.equal(r230.tokenCount, 75 * 3 + 20);
  for (const c of r230.chunks.slice(0, 3)) assert.equal(c.tokens[69], COMMA);
});

test('a comma further back than 20 tokens does not move anything; backtrack 0 disables', () => {
  const r = tokenizeChunks(words('cat', 50) + ', ' + words('cat', 30), tok);
  assert.deepEqual(r.chunks.map((c) => c.length), [75, 6]);
  const off = tokenizeChunks(commaGroups(7) + ' ' + words('dog', 10), tok, { commaPaddingBacktrack: 0 });
  assert.deepEqual(off.chunks.map((c) => c.length), [75, 5]);
});

test('relocated tokens keep their emphasis', () => {
  const r = tokenizeChunks(commaGroups(7) + ' (' + words('dog', 10) + ':1.5)', tok);
  assert.deepEqual(r.chunks[1]!.multipliers.slice(0, 10), new Array(10).fill(1.5));
  assert.equal(r.chunks[0]!.multipliers[70], 1);
});

test('BREAK starts a new chunk; inside parentheses it is a word with negative weight', () => {
  const r = tokenizeChunks('a cat BREAK a dog', tok);
  assert.deepEqual(r.chunks.map((c) => c.length), [2, 2]);
  assert.equal(r.tokenCount, 77);
  const p = tokenizeChunks('(cat BREAK dog)', tok);
  assert.equal(p.chunks.length, 1);
  assert.equal(tok.tokenToString(p.chunks[0]!.tokens[1]!), 'break</w>');
  assert.deepEqual(p.chunks[0]!.multipliers.slice(0, 3), [1.1, -1.1, 1.1]);
});

test('embeddings take their vector count, by name, case-insensitively', () => {
  const embeddings = new Map([['EasyNegative', 8]]);
  const r = tokenizeChunks('a easynegative, cat', tok, { embeddings });
  const c = r.chunks[0]!;
  assert.equal(c.length, 1 + 8 + 2);
  assert.deepEqual(c.fixes, [{ offset: 1, embedding: 'EasyNegative', vectors: 8 }]);
  assert.deepEqual(c.tokens.slice(0, 11), [320, 0, 0, 0, 0, 0, 0, 0, 0, COMMA, CAT]);
  assert.equal(r.tokenCount, 11);
  // weight of the fragment applies to every vector
  const w = tokenizeChunks('(EASYNEGATIVE:0.5)', tok, { embeddings }).chunks[0]!;
  assert.deepEqual(w.multipliers.slice(0, 8), new Array(8).fill(0.5));
});

test('an embedding that does not fit starts the next chunk', () => {
  const r = tokenizeChunks(words('cat', 70) + ' easynegative', tok, { embeddings: new Map([['easynegative', 8]]) });
  assert.deepEqual(r.chunks.map((c) => c.length), [70, 8]);
  assert.deepEqual(r.chunks[1]!.fixes, [{ offset: 0, embedding: 'easynegative', vectors: 8 }]);
});

test('model input: SD1 pads with EOS, SD2 with 0 after the first EOS', () => {
  const chunk = tokenizeChunks('(a cat:1.2)', tok).chunks[0]!;
  const sd1 = toModelInput(chunk, tok, 'sd1');
  assert.equal(sd1.ids.length, 77);
  assert.deepEqual([...sd1.ids.slice(0, 5)], [49406, 320, CAT, 49407, 49407]);
  assert.equal(sd1.ids[76], 49407);
  assert.deepEqual([...sd1.weights.slice(0, 4)], [1, Math.fround(1.2), Math.fround(1.2), 1]);
  const sd2 = toModelInput(chunk, tok, 'sd2');
  assert.deepEqual([...sd2.ids.slice(0, 5)], [49406, 320, CAT, 49407, 0]);
  assert.equal(sd2.ids[76], 0);
  const full = toModelInput(tokenizeChunks(words('cat', 75), tok).chunks[0]!, tok, 'sd2');
  assert.equal(full.ids[76], 49407);
});

test('padChunks adds empty chunks ([BOS] + EOS·76)', () => {
  const padded = padChunks(tokenizeChunks('cat', tok).chunks, 3, tok);
  assert.equal(padded.length, 3);
  const ids = toModelInput(padded[2]!, tok, 'sd1').ids;
  assert.equal(ids[0], 49406);
  assert.ok([...ids.slice(1)].every((i) => i === 49407));
});
