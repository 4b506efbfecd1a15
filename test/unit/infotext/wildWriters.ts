// Writers that reproduce other generators' metadata byte for byte where it is text, so the readers are checked on
// what those programs write without shipping their images: Python's json.dumps and PIL's/piexif's/ImageSharp's
// EXIF layouts, XMP packets, PNG chunks, JUMBF/CBOR (C2PA), and the stealth-pnginfo LSB writer. Tiny images only.
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { concatBytes, memorySource } from '../../../daemon/infotext/byteSource';
import { chunkBytes, walkPng } from '../../../daemon/infotext/pngChunks';

type Py = string | number | boolean | null | Py[] | { [key: string]: Py } | PyFloat;
/** A Python float that prints with its ".0" (json.dumps(7.0) is "7.0"). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** Python's `json.dumps(v)` with its defaults: ", " and ": " separators, ensure_ascii (\uXXXX, lower-case hex). */
export function pyDumps(v: Py, sep: [string, string] = [', ', ': ']): string {
  if (v instanceof PyFloat) return Number.isInteger(v.value) ? `${v.value}.0` : String(v.value);
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => pyDumps(x, sep)).join(sep[0])}]`;
  return `{${Object.entries(v).map(([k, x]) => `${pyDumps(k)}${sep[1]}${pyDumps(x, sep)}`).join(sep[0])}}`;
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A PNG of `width`×`height` (RGBA or RGB), pixels from `fill` (default a gradient), via pngjs. */
export function tinyPng(width: number, height: number, o: { alpha?: boolean; pixels?: Uint8Array } = {}): Uint8Array {
  const png = new PNG({ width, height, colorType: o.alpha === false ? 2 : 6, inputHasAlpha: true });
  if (o.pixels) png.data.set(o.pixels);
  else for (let i = 0; i < width * height; i++) png.data.set([(i * 7) & 255, (i * 13) & 255, (i * 29) & 255, 255], i * 4);
  return new Uint8Array(PNG.sync.write(png, { colorType: o.alpha === false ? 2 : 6 }));
}

/** One PNG chunk: length, type, data, CRC. */
export const pngChunk = chunkBytes;

/** PIL's `PngInfo.add_text`: tEXt when the text is Latin-1, else uncompressed iTXt with empty language tags. */
export function textChunk(keyword: string, text: string, forceItxt = false): Uint8Array {
  if (!forceItxt && [...text].every((c) => c.charCodeAt(0) < 256)) return pngChunk('tEXt', concatBytes([latin1(keyword), Uint8Array.of(0), latin1(text)]));
  return pngChunk('iTXt', concatBytes([latin1(keyword), Uint8Array.of(0, 0, 0, 0, 0), bytes(text)]));
}

/** A copy of a PNG with chunks inserted before the first IDAT (where PIL writes its text chunks). */
export function withChunks(png: Uint8Array, chunks: Uint8Array[]): Uint8Array {
  const first = walkPng(memorySource(png)).chunks.find((c) => c.type === 'IDAT')!;
  return concatBytes([png.subarray(0, first.offset), ...chunks, png.subarray(first.offset)]);
}

export const tinyJpeg = async (): Promise<Uint8Array> =>
  new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).jpeg().toBuffer());
export const tinyWebp = async (): Promise<Uint8Array> =>
  new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).webp({ lossless: true }).toBuffer());

/** A JPEG with APPn segments inserted after SOI (and JFIF APP0). `payload` excludes the marker and length. */
export function jpegWithSegments(jpeg: Uint8Array, segments: Array<{ marker: number; payload: Uint8Array }>): Uint8Array {
  let at = 2;
  if (jpeg[2] === 0xff && jpeg[3] === 0xe0) at += 2 + ((jpeg[4]! << 8) | jpeg[5]!);
  const segs = segments.map(({ marker, payload }) => concatBytes([Uint8Array.of(0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff), payload]));
  return concatBytes([jpeg.subarray(0, at), ...segs, jpeg.subarray(at)]);
}

/** A WebP with extra RIFF chunks appended (the RIFF size fixed up). */
export function webpWithChunks(webp: Uint8Array, chunks: Array<{ type: string; data: Uint8Array }>): Uint8Array {
  const parts = chunks.map(({ type, data }) => {
    const head = new Uint8Array(8);
    head.set(latin1(type));
    new DataView(head.buffer).setUint32(4, data.length, true);
    return concatBytes([head, data, data.length & 1 ? Uint8Array.of(0) : new Uint8Array(0)]);
  });
  const out = concatBytes([webp, ...parts]);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  return out;
}

export interface IfdEntry { tag: number; type: 2 | 4 | 7; value: Uint8Array }

/**
 * A TIFF/EXIF block: IFD0 entries, and an Exif IFD (pointer tag 0x8769) when `exif` is given. Entries are written
 * in tag order, values after the IFDs, as PIL and piexif lay them out. `header` adds the "Exif\0\0" prefix.
 */
export function exifBlock(o: { littleEndian: boolean; ifd0: IfdEntry[]; exif?: IfdEntry[]; header?: boolean }): Uint8Array {
  const le = o.littleEndian;
  const ifd0 = [...o.ifd0, ...(o.exif ? [{ tag: 0x8769, type: 4 as const, value: new Uint8Array(4) }] : [])].sort((a, b) => a.tag - b.tag);
  const exif = [...(o.exif ?? [])].sort((a, b) => a.tag - b.tag);
  const ifdSize = (n: number) => 2 + 12 * n + 4;
  const ifd0At = 8;
  const exifAt = ifd0At + ifdSize(ifd0.length);
  let dataAt = exifAt + (o.exif ? ifdSize(exif.length) : 0);
  const total = dataAt + [...ifd0, ...exif].reduce((n, e) => n + (e.value.length > 4 ? e.value.length + (e.value.length & 1) : 0), 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(latin1(le ? 'II' : 'MM'));
  dv.setUint16(2, 42, le);
  dv.setUint32(4, ifd0At, le);
  const writeIfd = (at: number, entries: IfdEntry[]): void => {
    dv.setUint16(at, entries.length, le);
    entries.forEach((e, i) => {
      const p = at + 2 + 12 * i;
      dv.setUint16(p, e.tag, le);
      dv.setUint16(p + 2, e.type, le);
      dv.setUint32(p + 4, e.type === 4 ? 1 : e.value.length, le);
      if (e.tag === 0x8769) dv.setUint32(p + 8, exifAt, le);
      else if (e.value.length <= 4) out.set(e.value, p + 8);
      else {
        dv.setUint32(p + 8, dataAt, le);
        out.set(e.value, dataAt);
        dataAt += e.value.length + (e.value.length & 1);
      }
    });
    dv.setUint32(at + 2 + 12 * entries.length, 0, le);
  };
  writeIfd(ifd0At, ifd0);
  if (o.exif) writeIfd(exifAt, exif);
  return o.header ? concatBytes([latin1('Exif\0\0'), out]) : out;
}

export const asciiTag = (tag: number, text: string): IfdEntry => ({ tag, type: 2, value: concatBytes([bytes(text), Uint8Array.of(0)]) });
/** PIL writes a str given for an UNDEFINED tag as `value.encode("ascii", "replace")`. */
export const undefinedAsciiTag = (tag: number, text: string): IfdEntry => ({ tag, type: 7, value: latin1(text.replace(/[^\x00-\x7f]/g, '?')) });
/** UserComment with the "UNICODE\0" prefix, UTF-16 in the given byte order. */
export function unicodeUserComment(text: string, littleEndian: boolean): IfdEntry {
  const v = new Uint8Array(8 + 2 * text.length);
  v.set(latin1('UNICODE\0'));
  const dv = new DataView(v.buffer);
  for (let i = 0; i < text.length; i++) dv.setUint16(8 + 2 * i, text.charCodeAt(i), littleEndian);
  return { tag: 0x9286, type: 7, value: v };
}

/** XML escapes for text inside an element. */
export const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The stealth-pnginfo extension's `add_data` (and NovelAI's LSBInjector): signature, 32-bit payload length in bits,
 * payload (gzip when compressed), MSB first, into the alpha LSB (after `putalpha(255)`) or the R, G, B LSBs, pixels
 * in column-major order. `rgba` is width×height×4 and is changed in place.
 */
export function stealthWrite(rgba: Uint8Array, width: number, height: number, payload: string, mode: 'alpha' | 'rgb', compressed: boolean): void {
  const signature = `stealth_${mode === 'alpha' ? 'png' : 'rgb'}${compressed ? 'comp' : 'info'}`;
  const body = compressed ? new Uint8Array(gzipSync(bytes(payload))) : bytes(payload);
  const header = new Uint8Array(19);
  header.set(latin1(signature));
  new DataView(header.buffer).setUint32(15, body.length * 8);
  const data = concatBytes([header, body]);
  const bit = (i: number) => (data[i >> 3]! >> (7 - (i & 7))) & 1;
  const bits = data.length * 8;
  if (mode === 'alpha') for (let i = 0; i < width * height; i++) rgba[i * 4 + 3] = 255;
  let index = 0;
  for (let x = 0; x < width && index < bits; x++) {
    for (let y = 0; y < height && index < bits; y++) {
      const p = (y * width + x) * 4;
      if (mode === 'alpha') rgba[p + 3] = (rgba[p + 3]! & ~1) | bit(index++);
      else for (let c = 0; c < 3 && index < bits; c++) rgba[p + c] = (rgba[p + c]! & ~1) | bit(index++);
    }
  }
}

/** A gradient RGBA buffer (alpha 255) to hide data in. */
export function gradient(width: number, height: number): Uint8Array {
  const px = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) px.set([(i * 7) & 255, (i * 13) & 255, (i * 29) & 255, 255], i * 4);
  return px;
}

// --- C2PA: JUMBF boxes and CBOR ------------------------------------------------------------------------------

type CborValue = string | number | boolean | CborValue[] | { [key: string]: CborValue };

/** Canonical CBOR (definite lengths) of maps, arrays, text and small unsigned integers. */
export function cbor(v: CborValue): Uint8Array {
  const head = (major: number, n: number): Uint8Array =>
    n < 24 ? Uint8Array.of((major << 5) | n) : n < 256 ? Uint8Array.of((major << 5) | 24, n) : n < 65536 ? Uint8Array.of((major << 5) | 25, n >> 8, n & 255)
      : Uint8Array.of((major << 5) | 26, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255);
  if (typeof v === 'boolean') return Uint8Array.of(v ? 0xf5 : 0xf4);
  if (typeof v === 'number') return head(0, v);
  if (typeof v === 'string') {
    const b = bytes(v);
    return concatBytes([head(3, b.length), b]);
  }
  if (Array.isArray(v)) return concatBytes([head(4, v.length), ...v.map(cbor)]);
  const entries = Object.entries(v);
  return concatBytes([head(5, entries.length), ...entries.flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

function box(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  new DataView(out.buffer).setUint32(0, out.length);
  out.set(latin1(type), 4);
  out.set(payload, 8);
  return out;
}

/** A JUMBF superbox: description box (type UUID, "requestable + label" toggles, label) then the content boxes. */
export function jumb(label: string, ...content: Uint8Array[]): Uint8Array {
  const jumd = box('jumd', concatBytes([new Uint8Array(16), Uint8Array.of(0x03), bytes(label), Uint8Array.of(0)]));
  return box('jumb', concatBytes([jumd, ...content]));
}
export const cborBox = (v: CborValue): Uint8Array => box('cbor', cbor(v));
