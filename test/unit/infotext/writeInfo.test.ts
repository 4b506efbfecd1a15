// Writing infotexts into PNG / JPEG / WebP: A1111's storage, read back identically, pixels untouched,
// atomic new files only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { sharedPath } from '../../sharedPath';
import { readGenerationInfoBytes, readGenerationInfoFile } from '../../../daemon/infotext/readInfo';
import { withInfotext, writeInfotextFile } from '../../../daemon/infotext/writeInfo';
import { parseGenerationParameters } from '../../../daemon/infotext/a1111';

const file = (f: string) => sharedPath('pnginfo-corpus', 'files', f);
const TEXT = 'テスト prompt, "quoted"\nNegative prompt: bad\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Lora hashes: "a: 0123456789ab, b: ba9876543210", Version: v1.10.1';

/** Bytes after the JPEG start-of-scan: the compressed pixels. */
const scanData = (b: Uint8Array) => Buffer.from(b).subarray(Buffer.from(b).indexOf(Buffer.from([0xff, 0xda])));

for (const f of ['a1111__sd-parsers__automatic1111_cropped.jpg', 'comfyui__sdmeta__comfyui-saveimage-plus.jpg', 'forge-neo__sdmeta__forge-neo.webp', 'novelai__sdmeta__novelai-curated.webp', 'a1111__sdmeta__sd-webui.png']) {
  test(`write then read an infotext: ${f}`, async () => {
    const src = new Uint8Array(readFileSync(file(f)));
    const out = withInfotext(src, TEXT);
    const info = readGenerationInfoBytes(out, f);
    assert.equal(info.format, 'a1111');
    assert.equal(info.infotext, TEXT);
    assert.deepEqual(info.problems, []);
    assert.deepEqual(parseGenerationParameters(info.infotext!), parseGenerationParameters(TEXT));
    if (f.endsWith('.jpg')) assert.ok(scanData(out).equals(scanData(src)), 'JPEG scan data unchanged');
    const a = await sharp(Buffer.from(src)).raw().toBuffer();
    const b = await sharp(Buffer.from(out)).raw().toBuffer();
    assert.ok(a.equals(b), 'decoded pixels identical');
  });
}

test('a WebP without VP8X gets one (EXIF needs the extended format) and still decodes', async () => {
  const plain = new Uint8Array(await sharp({ create: { width: 7, height: 5, channels: 3, background: '#336699' } }).webp({ lossless: true }).toBuffer());
  const out = withInfotext(plain, TEXT);
  assert.equal(readGenerationInfoBytes(out).infotext, TEXT);
  const meta = await sharp(Buffer.from(out)).metadata();
  assert.deepEqual([meta.width, meta.height], [7, 5]);
  assert.ok((await sharp(Buffer.from(out)).raw().toBuffer()).equals(await sharp(Buffer.from(plain)).raw().toBuffer()));
});

test('A1111 corpus infotexts: parse → write → parse is the identity', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdinfo-'));
  for (const f of ['a1111__sdmeta__sd-webui.png', 'forge__sdmeta__forge.png', 'sdnext__sdmeta__sd-next-en.png', 'a1111__sd-parsers__text_after_idat.png', 'a1111__sd-parsers__automatic1111_cropped.jpg', 'forge-neo__sdmeta__forge-neo.webp']) {
    const before = readGenerationInfoFile(file(f));
    const dest = join(dir, `out-${f}`);
    writeInfotextFile(file(f), dest, before.infotext!);
    const after = readGenerationInfoFile(dest);
    assert.equal(after.infotext, before.infotext);
    assert.deepEqual(parseGenerationParameters(after.infotext!), parseGenerationParameters(before.infotext!));
    assert.deepEqual({ ...after, file: '', raw: {} }, { ...before, file: '', raw: {} });
  }
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'no temp files left');
});

test('never writes over the source; failed writes leave nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdinfo-'));
  assert.throws(() => writeInfotextFile(file('forge__sdmeta__forge.png'), file('forge__sdmeta__forge.png'), 'x'), /refusing to overwrite/);
  assert.throws(() => writeInfotextFile(file('none__sd-parsers__empty_file.png'), join(dir, 'x.png'), 'x'), /unknown format/);
  assert.equal(existsSync(join(dir, 'x.png')), false);
});
