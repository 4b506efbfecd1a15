// Writing an infotext into an image, as A1111's save_image_with_geninfo does: PNG text chunk (tEXt, or iTXt
// when not Latin-1); JPEG/WebP an EXIF block holding only UserComment ("UNICODE\0" + UTF-16BE, as piexif
// writes it — which, like A1111, replaces any EXIF already there). Pixels are never decoded or re-encoded,
// and the result always goes to a new file (temp file + rename), never over the source.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { OutputExistsError, writeFileAtomicSync, writeNewFileSync } from '../../models/formats/atomicFile';
import { ascii, concatBytes, u16le, u32le } from './byteSource';
import { buildUserCommentExif } from './exif';
import { sniffContainer } from './imageMeta';
import { withPngText } from './pngChunks';

export class ImageWriteError extends Error {
  override name = 'ImageWriteError';
}

const concat = concatBytes;

/** JPEG: drop existing APP1 Exif segments, insert ours after SOI and any APP0 (JFIF must stay first). */
export function jpegWithUserComment(jpeg: Uint8Array, text: string): Uint8Array {
  const tiff = buildUserCommentExif(text);
  const segLen = 2 + 6 + tiff.length;
  if (segLen > 0xffff) throw new ImageWriteError(`infotext too long for a JPEG EXIF segment (${segLen} bytes > 65535)`);
  const seg = concat([Uint8Array.of(0xff, 0xe1, segLen >> 8, segLen & 0xff), Uint8Array.of(0x45, 0x78, 0x69, 0x66, 0, 0), tiff]);
  const parts: Uint8Array[] = [jpeg.subarray(0, 2)];
  let at = 2;
  let inserted = false;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1];
    if (marker === 0xda || marker === 0xd9) break;
    const len = (jpeg[at + 2]! << 8) | jpeg[at + 3]!;
    if (at + 2 + len > jpeg.length) throw new ImageWriteError(`truncated JPEG: segment at byte ${at} runs past the end`);
    const isExif = marker === 0xe1 && ascii(jpeg, at + 4, at + 10) === 'Exif\0\0';
    if (!inserted && marker !== 0xe0) {
      parts.push(seg);
      inserted = true;
    }
    if (!isExif) parts.push(jpeg.subarray(at, at + 2 + len));
    at += 2 + len;
  }
  if (!inserted) parts.push(seg);
  parts.push(jpeg.subarray(at));
  return concat(parts);
}

const le32 = (n: number) => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);

function riffChunk(type: string, data: Uint8Array): Uint8Array {
  const head = concat([Uint8Array.from(type, (c) => c.charCodeAt(0)), le32(data.length)]);
  return concat([head, data, data.length & 1 ? Uint8Array.of(0) : new Uint8Array(0)]);
}

/** WebP: replace/add the EXIF chunk; a simple (VP8/VP8L-only) file gets the VP8X header extended files need. */
export function webpWithUserComment(webp: Uint8Array, text: string): Uint8Array {
  const chunks: Array<{ type: string; data: Uint8Array }> = [];
  for (let at = 12; at + 8 <= webp.length; ) {
    const type = ascii(webp, at, at + 4);
    const len = u32le(webp, at + 4);
    if (at + 8 + len > webp.length) throw new ImageWriteError(`truncated WebP: the ${type} chunk at byte ${at} runs past the end`);
    chunks.push({ type, data: webp.subarray(at + 8, at + 8 + len) });
    at += 8 + len + (len & 1);
  }
  const kept = chunks.filter((c) => c.type !== 'EXIF');
  let vp8x = kept.find((c) => c.type === 'VP8X');
  if (!vp8x) {
    const img = kept.find((c) => c.type === 'VP8 ' || c.type === 'VP8L');
    if (!img) throw new ImageWriteError('corrupt WebP: no image chunk');
    let w: number;
    let h: number;
    let alpha = false;
    if (img.type === 'VP8L') {
      const bits = u32le(img.data, 1);
      w = (bits & 0x3fff) + 1;
      h = ((bits >>> 14) & 0x3fff) + 1;
      alpha = ((bits >>> 28) & 1) === 1;
    } else {
      w = u16le(img.data, 6) & 0x3fff;
      h = u16le(img.data, 8) & 0x3fff;
    }
    const d = new Uint8Array(10);
    d[0] = alpha ? 0x10 : 0;
    d.set(le32(w - 1).subarray(0, 3), 4);
    d.set(le32(h - 1).subarray(0, 3), 7);
    vp8x = { type: 'VP8X', data: d };
    kept.unshift(vp8x);
  }
  const flags = vp8x.data.slice();
  flags[0] = (flags[0] ?? 0) | 0x08; // EXIF present (a VP8X chunk of a file may be short)
  vp8x.data = flags;
  // EXIF goes after the image data and before XMP (WebP container spec order).
  const xmpAt = kept.findIndex((c) => c.type === 'XMP ');
  kept.splice(xmpAt < 0 ? kept.length : xmpAt, 0, { type: 'EXIF', data: buildUserCommentExif(text) });
  const body = concat([Uint8Array.from('WEBP', (c) => c.charCodeAt(0)), ...kept.map((c) => riffChunk(c.type, c.data))]);
  return concat([Uint8Array.from('RIFF', (c) => c.charCodeAt(0)), le32(body.length), body]);
}

/** The image bytes with the infotext stored the way A1111 stores it for that format. */
export function withInfotext(image: Uint8Array, infotext: string, keyword = 'parameters'): Uint8Array {
  const kind = sniffContainer(image.subarray(0, 12));
  if (kind === 'png') return withPngText(image, [[keyword, infotext]]);
  if (kind === 'jpeg') return jpegWithUserComment(image, infotext);
  if (kind === 'webp') return webpWithUserComment(image, infotext);
  throw new ImageWriteError('unknown format: only PNG, JPEG and WebP can carry an infotext');
}

/**
 * Copies `source` to a new file `dest` carrying `infotext`; refuses to write over the source, and over any existing
 * file unless `overwrite` (OutputExistsError, also when the file appears during the write).
 */
export function writeInfotextFile(source: string, dest: string, infotext: string, opts: { keyword?: string; overwrite?: boolean } = {}): void {
  if (resolve(source) === resolve(dest)) throw new ImageWriteError('refusing to overwrite the source image: give a different output file');
  if (!opts.overwrite && existsSync(dest)) throw new OutputExistsError(dest);
  const bytes = withInfotext(new Uint8Array(readFileSync(source)), infotext, opts.keyword ?? 'parameters');
  if (opts.overwrite) writeFileAtomicSync(dest, bytes);
  else if (!writeNewFileSync(dest, bytes)) throw new OutputExistsError(dest);
}
