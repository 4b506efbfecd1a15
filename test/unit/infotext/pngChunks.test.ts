// PNG text chunks: reading every kind in any place, clear errors on damaged files, and writing without
// touching pixel data (IDAT bytes identical, the file still decodes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { sharedPath } from '../../sharedPath';
import { PngFormatError, readPngTextChunks, scanPngText, walkPng, withPngText } from '../../../daemon/infotext/pngChunks';
import { memorySource } from '../../../daemon/infotext/byteSource';

interface ManifestEntry { file: string; container: string; chunks?: Record<string, string>; chunk_info: Array<{ keyword: string; chunk_type?: string; after_IDAT?: boolean; TRUNCATED?: string }> }
const manifest: ManifestEntry[] = JSON.parse(readFileSync(sharedPath('pnginfo-corpus', 'manifest.json'), 'utf8'));
const corpus = (f: string) => new Uint8Array(readFileSync(sharedPath('pnginfo-corpus', f)));

for (const e of manifest.filter((m) => m.container === 'png')) {
  const truncated = e.chunk_info.some((c) => c.TRUNCATED);
  test(`corpus ${e.file}: text chunks match the manifest`, () => {
    const png = corpus(e.file);
    if (truncated) {
      assert.throws(() => readPngTextChunks(png), (err: Error) => err instanceof PngFormatError && /truncated PNG: the tEXt chunk at byte \d+ declares 3430 data bytes, only 1715 present/.test(err.message));
    }
    const { text } = scanPngText(memorySource(png));
    assert.deepEqual(text.map((t) => t.keyword), e.chunk_info.map((c) => c.keyword));
    e.chunk_info.forEach((c, i) => {
      assert.equal(text[i]!.kind, c.chunk_type);
      assert.equal(text[i]!.afterIdat, c.after_IDAT);
      const want = e.chunks![c.keyword]!;
      if (want.length < 20000 && !c.TRUNCATED) assert.equal(text[i]!.text, want);
      if (c.TRUNCATED) assert.match(text[i]!.problem ?? '', /cut off/);
    });
    if (!truncated) assert.deepEqual(readPngTextChunks(png).map((t) => t.keyword), e.chunk_info.map((c) => c.keyword));
  });
}

test('non-PNG, empty and truncated inputs give errors that say what is wrong', () => {
  assert.throws(() => readPngTextChunks(new Uint8Array(0)), /empty file/);
  assert.throws(() => readPngTextChunks(corpus('files/a1111__sd-parsers__automatic1111_cropped.jpg')), /not a PNG file/);
  const png = corpus('files/a1111__sd-parsers__text_after_idat.png');
  assert.throws(() => readPngTextChunks(png.subarray(0, png.length - 12)), /no IEND/);
  assert.throws(() => readPngTextChunks(png.subarray(0, 20)), /truncated PNG/);
  const bad = png.slice();
  const { chunks } = walkPng(memorySource(bad));
  const t = chunks.find((c) => c.type === 'tEXt')!;
  bad[t.offset + 9]! ^= 1;
  assert.throws(() => readPngTextChunks(bad), /fails its CRC check/);
});

/** A small RGBA PNG made by pngjs, which writes no text chunks. */
function makePng(): Uint8Array {
  const img = new PNG({ width: 5, height: 3 });
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 37) & 0xff;
  return new Uint8Array(PNG.sync.write(img));
}

function idatBytes(png: Uint8Array): Uint8Array[] {
  return walkPng(memorySource(png)).chunks.filter((c) => c.type === 'IDAT').map((c) => png.subarray(c.offset, c.offset + 12 + c.length));
}

test('withPngText: tEXt for Latin-1, iTXt otherwise, before IDAT, pixels untouched, replaces by keyword', () => {
  const png = makePng();
  const out = withPngText(png, [['parameters', 'café, Steps: 20'], ['Comment', 'テスト\nline']]);
  const chunks = walkPng(memorySource(out)).chunks.map((c) => c.type);
  assert.deepEqual(chunks.slice(0, 3), ['IHDR', 'tEXt', 'iTXt']);
  assert.deepEqual(readPngTextChunks(out), [
    { keyword: 'parameters', text: 'café, Steps: 20', kind: 'tEXt' },
    { keyword: 'Comment', text: 'テスト\nline', kind: 'iTXt' },
  ]);
  assert.deepEqual(idatBytes(out), idatBytes(png));
  const decoded = PNG.sync.read(Buffer.from(out));
  assert.deepEqual(decoded.data, PNG.sync.read(Buffer.from(png)).data);

  const again = withPngText(out, [['parameters', 'new']]);
  assert.deepEqual(readPngTextChunks(again).map((t) => [t.keyword, t.text]), [['Comment', 'テスト\nline'], ['parameters', 'new']]);
  assert.deepEqual(idatBytes(again), idatBytes(png));
  assert.throws(() => withPngText(png, [['', 'x']]), /invalid PNG text keyword/);
});

test('withPngText on a real file with text after IDAT: the old zTXt is replaced, other chunks copied as they are', () => {
  const png = corpus('files/a1111__sd-parsers__text_after_idat.png');
  const out = withPngText(png, [['parameters', 'p\nSteps: 1, Seed: 2, CFG scale: 3']]);
  const text = readPngTextChunks(out);
  assert.deepEqual(text.filter((t) => t.keyword === 'parameters'), [{ keyword: 'parameters', text: 'p\nSteps: 1, Seed: 2, CFG scale: 3', kind: 'tEXt' }]);
  assert.equal(text.length, 7);
  assert.deepEqual(idatBytes(out), idatBytes(png));
  PNG.sync.read(Buffer.from(out));
});
