// One entry point over the containers: which format the bytes are (by magic, not by extension) and every
// metadata text in it as keyword → text, with what could not be read. PNG text chunks keep their keyword;
// EXIF tags become "EXIF:<Tag>", XMP properties "XMP:<prop>", a JPEG comment "JPEG:Comment", a C2PA manifest's
// texts "C2PA:<field>" (PNG caBX, JPEG APP11, WebP C2PA).

import { ascii, u16le, u24le, u32be, u32le, type ByteSource } from './byteSource';
import { joinApp11, readC2paText } from './c2pa';
import { readExifText, stripNuls } from './exif';
import { META_LIMITS, TextBudget, mib } from './limits';
import { isPngSignature, scanPngText, type PngTextKind } from './pngChunks';
import { readXmpText } from './xmp';

export type Container = 'png' | 'jpeg' | 'webp' | 'unknown';

export interface MetaEntry {
  keyword: string;
  text: string;
  /** Where it came from: a PNG chunk type, "EXIF", "XMP", "COM", "C2PA", or "LSB" (hidden in the pixels). */
  source: PngTextKind | 'EXIF' | 'XMP' | 'COM' | 'C2PA' | 'LSB';
  /** Set when the entry is damaged (cut off, CRC mismatch): its text is partial or unverified. */
  problem?: string;
}

export interface ImageMeta {
  container: Container;
  entries: MetaEntry[];
  /** What could not be read, in words; empty for a sound file. */
  problems: string[];
  width?: number;
  height?: number;
}

const utf8 = new TextDecoder('utf-8');
/** Entries kept per file: real files carry a handful; a crafted one can carry millions of empty comments. */
const MAX_ENTRIES = 1000;
const XMP_ID = 'http://ns.adobe.com/xap/1.0/\0';
/** A C2PA manifest store read at most (they embed thumbnails: hundreds of KB is common); within maxStoredText. */
const MAX_C2PA_BYTES = Math.min(8 << 20, META_LIMITS.maxStoredText);

export function sniffContainer(head: Uint8Array): Container {
  if (isPngSignature(head)) return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'webp';
  return 'unknown';
}

export function readImageMeta(src: ByteSource): ImageMeta {
  if (src.size === 0) return { container: 'unknown', entries: [], problems: ['empty file (0 bytes)'] };
  const container = sniffContainer(src.read(0, 12));
  if (container === 'png') return readPng(src);
  if (container === 'jpeg') return readJpeg(src);
  if (container === 'webp') return readWebp(src);
  return { container, entries: [], problems: ['unknown format: not a PNG, JPEG or WebP file'] };
}

const TOO_MANY = `more than ${MAX_ENTRIES} metadata entries: the rest are not read`;

function addEntry(meta: ImageMeta, e: MetaEntry): void {
  if (meta.entries.length < MAX_ENTRIES) meta.entries.push(e);
  else if (!meta.problems.includes(TOO_MANY)) meta.problems.push(TOO_MANY);
}


function readPng(src: ByteSource): ImageMeta {
  const { chunks, text, problems } = scanPngText(src);
  const meta: ImageMeta = { container: 'png', entries: [], problems };
  const ihdr = chunks[0]?.type === 'IHDR' ? src.read(chunks[0].offset + 8, 8) : undefined;
  if (ihdr && ihdr.length === 8) {
    meta.width = u32be(ihdr, 0);
    meta.height = u32be(ihdr, 4);
  }
  for (const t of text) {
    addEntry(meta, { keyword: t.keyword, text: t.text, source: t.kind, ...(t.problem ? { problem: t.problem } : {}) });
    if (t.keyword === 'XML:com.adobe.xmp') addXmp(meta, t.text);
  }
  const cabx = chunks.find((c) => c.type === 'caBX' && c.complete);
  if (cabx) addC2pa(meta, cabx.length <= MAX_C2PA_BYTES ? src.read(cabx.offset + 8, cabx.length) : undefined);
  return meta;
}

function addC2pa(meta: ImageMeta, store: Uint8Array | undefined): void {
  if (!store) return void meta.problems.push(`C2PA manifest larger than ${mib(MAX_C2PA_BYTES)} (or past the file's metadata budget): not read`);
  for (const e of readC2paText(store)) addEntry(meta, { ...e, source: 'C2PA' });
}

function addExif(meta: ImageMeta, block: Uint8Array): void {
  const { entries, problems } = readExifText(block);
  for (const e of entries) addEntry(meta, { ...e, source: 'EXIF' });
  meta.problems.push(...problems);
}

function addXmp(meta: ImageMeta, xml: string): void {
  for (const e of readXmpText(xml)) addEntry(meta, { ...e, source: 'XMP' });
}

/** Past a run of 0xFF fill bytes, scanned a block at a time. */
function skipFill(src: ByteSource, at: number): number {
  for (;;) {
    const b = src.read(at, 4096);
    let i = 0;
    while (i < b.length && b[i] === 0xff) i++;
    if (i < b.length || b.length === 0) return at + i;
    at += i;
  }
}

/** JPEG: markers up to the start of scan; APP1 Exif / XMP, COM, and the frame size from SOFn. */
function readJpeg(src: ByteSource): ImageMeta {
  const meta: ImageMeta = { container: 'jpeg', entries: [], problems: [] };
  const budget = new TextBudget();
  const app11: Uint8Array[] = []; // C2PA's JUMBF boxes, split over segments
  let at = 2;
  for (;;) {
    if (meta.problems.includes(TOO_MANY)) break;
    const head = src.read(at, 4);
    if (head.length < 2) {
      meta.problems.push(`truncated JPEG: file ends at byte ${at} before the image data`);
      break;
    }
    if (head[0] !== 0xff) {
      meta.problems.push(`corrupt JPEG: expected a marker at byte ${at}`);
      break;
    }
    const marker = head[1]!;
    if (marker === 0xff) {
      at = skipFill(src, at + 1) - 1; // fill bytes: the last 0xFF starts the marker
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // image data follows: no metadata after this point
    if (head.length < 4) {
      meta.problems.push(`truncated JPEG: segment header cut at byte ${at}`);
      break;
    }
    const len = (head[2]! << 8) | head[3]!;
    if (len < 2) {
      meta.problems.push(`corrupt JPEG: segment 0x${marker.toString(16)} at byte ${at} declares a length of ${len}`);
      break;
    }
    if (at + 2 + len > src.size) {
      meta.problems.push(`truncated JPEG: segment 0x${marker.toString(16)} at byte ${at} declares ${len - 2} bytes, only ${Math.max(0, src.size - at - 4)} present`);
      break;
    }
    // Only the segments we read are read: the others (tables, other APPn) are stepped over.
    const wanted = marker === 0xe1 || marker === 0xeb || marker === 0xfe || (marker >= 0xc0 && marker <= 0xcf);
    if (!wanted) {
      at += 2 + len;
      continue;
    }
    if (!budget.take(len)) {
      meta.problems.push(`JPEG metadata past ${mib(META_LIMITS.maxTotalText)}: the rest is not read`);
      break;
    }
    const body = src.read(at + 4, len - 2);
    if (marker === 0xeb) app11.push(body);
    else if (marker === 0xe1 && ascii(body, 0, 6) === 'Exif\0\0') addExif(meta, body);
    else if (marker === 0xe1 && ascii(body, 0, XMP_ID.length) === XMP_ID) addXmp(meta, utf8.decode(body.subarray(XMP_ID.length)));
    else if (marker === 0xfe) addEntry(meta, { keyword: 'JPEG:Comment', text: stripNuls(utf8.decode(body)), source: 'COM' });
    else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc && body.length >= 5) {
      meta.height = (body[1]! << 8) | body[2]!;
      meta.width = (body[3]! << 8) | body[4]!;
    }
    at += 2 + len;
  }
  // APP11 segments were charged to the metadata budget as they were read; the joined store is capped on its own.
  const app11Bytes = app11.reduce((n, b) => n + b.length, 0);
  if (app11.length) addC2pa(meta, app11Bytes <= MAX_C2PA_BYTES ? joinApp11(app11) ?? new Uint8Array(0) : undefined);
  return meta;
}

/** WebP: RIFF chunks; "EXIF" and "XMP " carry metadata, VP8X/VP8/VP8L the size. */
function readWebp(src: ByteSource): ImageMeta {
  const meta: ImageMeta = { container: 'webp', entries: [], problems: [] };
  const budget = new TextBudget();
  const riffEnd = Math.min(src.size, 8 + u32le(src.read(4, 4), 0));
  if (riffEnd < 8 + u32le(src.read(4, 4), 0)) meta.problems.push('truncated WebP: the file is shorter than its RIFF header says');
  let at = 12;
  while (at + 8 <= riffEnd && !meta.problems.includes(TOO_MANY)) {
    const head = src.read(at, 8);
    const type = ascii(head, 0, 4);
    const len = u32le(head, 4);
    if (at + 8 + len > src.size) {
      meta.problems.push(`truncated WebP: the ${JSON.stringify(type)} chunk at byte ${at} declares ${len} bytes, only ${src.size - at - 8} present`);
      break;
    }
    const text = type === 'EXIF' || type === 'XMP ' || type === 'C2PA';
    if (text && (len > META_LIMITS.maxStoredText || !budget.take(len))) {
      meta.problems.push(`WebP ${JSON.stringify(type)} chunk at byte ${at} holds ${len} bytes, more than the ${mib(Math.min(META_LIMITS.maxStoredText, budget.remaining))} left for metadata: not read`);
    } else if (type === 'EXIF') addExif(meta, src.read(at + 8, len));
    else if (type === 'XMP ') addXmp(meta, utf8.decode(src.read(at + 8, len)));
    else if (type === 'C2PA') addC2pa(meta, len <= MAX_C2PA_BYTES ? src.read(at + 8, len) : undefined);
    else if (type === 'VP8X') {
      const b = src.read(at + 8, 10);
      meta.width = u24le(b, 4) + 1;
      meta.height = u24le(b, 7) + 1;
    } else if (type === 'VP8 ' && meta.width === undefined) {
      const b = src.read(at + 8, 10);
      meta.width = u16le(b, 6) & 0x3fff;
      meta.height = u16le(b, 8) & 0x3fff;
    } else if (type === 'VP8L' && meta.width === undefined) {
      const b = src.read(at + 8, 5);
      const bits = u32le(b, 1);
      meta.width = (bits & 0x3fff) + 1;
      meta.height = ((bits >>> 14) & 0x3fff) + 1;
    }
    at += 8 + len + (len & 1);
  }
  return meta;
}
