// PNG text chunks: read tEXt / zTXt / iTXt (any order, any count, before or after IDAT) and write them
// back without touching any other chunk's bytes, so pixels are never re-encoded.
// Spec: PNG (Third Edition), textual information (https://www.w3.org/TR/png/#11textinfo); writing follows Pillow's
// PngInfo.add_text, which A1111 uses.

import { inflateSync } from 'node:zlib';
import { ascii, concatBytes, memorySource, u32be, type ByteSource } from './byteSource';
import { crc32 } from './crc32';
import { META_LIMITS, TextBudget, mib } from './limits';

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

export type PngTextKind = 'tEXt' | 'zTXt' | 'iTXt';
export interface PngTextChunk { keyword: string; text: string; kind: PngTextKind }

/** A structural problem with a PNG; the message names what is wrong and where. */
export class PngFormatError extends Error {
  override name = 'PngFormatError';
}

export interface PngChunkRef {
  type: string;
  /** Byte offset of the chunk's length field. */
  offset: number;
  /** Declared data length. */
  length: number;
  /** False when the file ends before the chunk's data and CRC do. */
  complete: boolean;
}

export interface PngWalk { chunks: PngChunkRef[]; problems: string[] }

/** Chunk headers walked per file: encoders write IDATs of 8-64 KB, so real files have thousands at most. */
const MAX_CHUNKS = 1 << 20;

export function isPngSignature(head: Uint8Array): boolean {
  return head.length >= 8 && PNG_SIGNATURE.every((b, i) => head[i] === b);
}

/**
 * Every chunk header, in file order, stopping at IEND or at the first structural problem (which is
 * reported, never thrown, so callers can still use what came before it). Only headers are read.
 */
export function walkPng(src: ByteSource): PngWalk {
  const problems: string[] = [];
  const chunks: PngChunkRef[] = [];
  if (src.size === 0) return { chunks, problems: ['empty file (0 bytes)'] };
  if (!isPngSignature(src.read(0, 8))) return { chunks, problems: ['not a PNG file: the first 8 bytes are not the PNG signature'] };
  let at = 8;
  for (;;) {
    if (chunks.length >= MAX_CHUNKS) {
      problems.push(`more than ${MAX_CHUNKS} chunks: the rest of the file is not read`);
      break;
    }
    if (at === src.size) {
      problems.push(`truncated PNG: no IEND chunk (file ends at byte ${at} after ${chunks.length} chunks)`);
      break;
    }
    const head = src.read(at, 8);
    if (head.length < 8) {
      problems.push(`truncated PNG: file ends inside a chunk header at byte ${at}`);
      break;
    }
    const length = u32be(head, 0);
    const type = ascii(head, 4, 8);
    if (!/^[A-Za-z]{4}$/.test(type)) {
      problems.push(`corrupt PNG: the chunk at byte ${at} has an invalid type (${JSON.stringify(type)})`);
      break;
    }
    if (length > 0x7fffffff) {
      problems.push(`corrupt PNG: the ${type} chunk at byte ${at} declares an impossible length ${length}`);
      break;
    }
    const end = at + 12 + length;
    const complete = end <= src.size;
    chunks.push({ type, offset: at, length, complete });
    if (!complete) {
      const have = Math.max(0, src.size - at - 8);
      problems.push(`truncated PNG: the ${type} chunk at byte ${at} declares ${length} data bytes, only ${Math.min(have, length)} present`);
      break;
    }
    if (type === 'IEND') break;
    at = end;
  }
  return { chunks, problems };
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8Loose = new TextDecoder('utf-8');

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x2000) s += String.fromCharCode(...b.subarray(i, i + 0x2000));
  return s;
}

/**
 * tEXt/zTXt text is Latin-1 by the spec, but ComfyUI, SD.Next and others write UTF-8 into it. Bytes that are
 * valid UTF-8 are read as UTF-8 (ASCII reads the same either way; real Latin-1 prose is almost never valid
 * UTF-8), anything else as Latin-1.
 */
function decodeLatin1OrUtf8(b: Uint8Array): string {
  if (b.every((x) => x < 0x80)) return latin1(b);
  try {
    return utf8Strict.decode(b);
  } catch {
    return latin1(b);
  }
}

/** Inflates at most `limit` bytes: a chunk that would inflate further is refused, not inflated. */
function inflate(data: Uint8Array, what: string, limit: number): Uint8Array {
  try {
    return inflateSync(data, { maxOutputLength: Math.max(1, limit) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new PngFormatError(`${what}: compressed text inflates past ${mib(limit)}: not read`);
    throw new PngFormatError(`${what}: compressed text does not inflate (${(e as Error).message})`);
  }
}

/**
 * Decodes one text chunk's data; throws PngFormatError naming the problem. Compressed text inflates to at most
 * `inflateLimit` bytes (default META_LIMITS.maxInflatedText).
 */
export function decodeTextChunk(kind: PngTextKind, data: Uint8Array, inflateLimit: number = META_LIMITS.maxInflatedText): PngTextChunk {
  const nul = data.indexOf(0);
  if (nul < 1) throw new PngFormatError(`${kind} chunk has no keyword terminator`);
  const keyword = latin1(data.subarray(0, nul));
  const where = `${kind} chunk "${keyword}"`;
  if (kind === 'tEXt') return { keyword, kind, text: decodeLatin1OrUtf8(data.subarray(nul + 1)) };
  if (kind === 'zTXt') {
    if (data[nul + 1] !== 0) throw new PngFormatError(`${where}: unknown compression method ${data[nul + 1]}`);
    return { keyword, kind, text: decodeLatin1OrUtf8(inflate(data.subarray(nul + 2), where, inflateLimit)) };
  }
  const flag = data[nul + 1];
  const method = data[nul + 2];
  const langEnd = data.indexOf(0, nul + 3);
  const tkeyEnd = langEnd < 0 ? -1 : data.indexOf(0, langEnd + 1);
  if (tkeyEnd < 0 || flag === undefined) throw new PngFormatError(`${where}: header is cut short`);
  let body = data.subarray(tkeyEnd + 1);
  if (flag === 1) {
    if (method !== 0) throw new PngFormatError(`${where}: unknown compression method ${method}`);
    body = inflate(body, where, inflateLimit);
  }
  return { keyword, kind, text: utf8Loose.decode(body) };
}

const TEXT_TYPES = new Set(['tEXt', 'zTXt', 'iTXt']);

export interface ScannedText extends PngTextChunk {
  afterIdat: boolean;
  /** Present when the chunk is damaged: its text (if any) is partial or unverified. */
  problem?: string;
}

/**
 * Every text chunk that can be read, with problems listed instead of thrown: a truncated file still yields
 * the chunks before the cut (and a cut text chunk's partial text, marked).
 */
export function scanPngText(src: ByteSource, budget = new TextBudget()): { chunks: PngChunkRef[]; text: ScannedText[]; problems: string[] } {
  const { chunks, problems } = walkPng(src);
  const text: ScannedText[] = [];
  let afterIdat = false;
  for (const c of chunks) {
    if (c.type === 'IDAT') afterIdat = true;
    if (!TEXT_TYPES.has(c.type)) continue;
    const kind = c.type as PngTextKind;
    if (c.length > META_LIMITS.maxStoredText || !budget.take(c.length)) {
      problems.push(`${kind} chunk at byte ${c.offset} holds ${c.length} bytes, more than the ${mib(Math.min(META_LIMITS.maxStoredText, budget.remaining))} left for metadata text: not read`);
      continue;
    }
    const body = src.read(c.offset + 4, 4 + c.length + 4); // type + data + crc
    const data = body.subarray(4, 4 + c.length);
    let problem: string | undefined;
    if (!c.complete) problem = `${kind} chunk at byte ${c.offset} is cut off: the text is partial`;
    else if (crc32(body.subarray(0, 4 + c.length)) !== u32be(body, 4 + c.length)) {
      problem = `${kind} chunk at byte ${c.offset} fails its CRC check`;
      problems.push(`corrupt PNG: ${problem}`);
    }
    try {
      const decoded = decodeTextChunk(kind, data, Math.min(META_LIMITS.maxInflatedText, budget.remaining));
      if (kind !== 'tEXt') budget.take(Math.min(budget.remaining, decoded.text.length));
      text.push({ ...decoded, afterIdat, ...(problem ? { problem } : {}) });
    } catch (e) {
      problems.push(`${(e as Error).message} (chunk at byte ${c.offset})`);
    }
  }
  return { chunks, text, problems };
}

/** Every text chunk of a PNG in file order. Throws PngFormatError on a non-PNG, truncated or corrupt file. */
export function readPngTextChunks(png: Uint8Array): PngTextChunk[] {
  const { text, problems } = scanPngText(memorySource(png));
  if (problems.length) throw new PngFormatError(problems.join('; '));
  return text.map(({ keyword, text: t, kind }) => ({ keyword, text: t, kind }));
}

function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

function checkKeyword(k: string): void {
  // PNG keywords: 1-79 Latin-1 bytes, no NUL (Pillow encodes the key as Latin-1 and raises otherwise).
  if (k.length < 1 || k.length > 79 || !isLatin1(k) || k.includes('\0')) {
    throw new PngFormatError(`invalid PNG text keyword ${JSON.stringify(k)}: needs 1-79 Latin-1 characters and no NUL`);
  }
}

function latin1Bytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** One PNG chunk: length, type, data, CRC. */
export function chunkBytes(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(latin1Bytes(type), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** One text chunk as Pillow's `add_text` writes it: tEXt when Latin-1, else uncompressed iTXt with empty tags. */
export function textChunk(keyword: string, text: string): Uint8Array {
  checkKeyword(keyword);
  const key = latin1Bytes(keyword);
  if (isLatin1(text)) {
    const body = latin1Bytes(text);
    const data = new Uint8Array(key.length + 1 + body.length);
    data.set(key, 0);
    data.set(body, key.length + 1);
    return chunkBytes('tEXt', data);
  }
  const body = new TextEncoder().encode(text);
  // keyword \0, compression flag 0, method 0, empty language tag \0, empty translated keyword \0
  const data = new Uint8Array(key.length + 5 + body.length);
  data.set(key, 0);
  data.set(body, key.length + 5);
  return chunkBytes('iTXt', data);
}

/**
 * A copy of `png` with the given text entries: each as a new chunk placed just before the first IDAT (where
 * Pillow puts them, after IHDR/PLTE/tRNS and the other pre-IDAT chunks); any existing text chunk with the same
 * keyword, before or after IDAT, is dropped. Every other chunk is copied byte for byte. Later entries with a
 * repeated keyword win.
 */
export function withPngText(png: Uint8Array, entries: Array<[keyword: string, text: string]>): Uint8Array {
  const wanted = new Map<string, string>();
  for (const [k, t] of entries) {
    wanted.delete(k); // keep the last value, in the position of its last mention
    wanted.set(k, t);
  }
  const newChunks = [...wanted].map(([k, t]) => textChunk(k, t));
  const src = memorySource(png);
  const { chunks, problems } = walkPng(src);
  if (problems.length) throw new PngFormatError(problems.join('; '));
  if (chunks[0]?.type !== 'IHDR') throw new PngFormatError('corrupt PNG: the first chunk is not IHDR');
  if (chunks[chunks.length - 1]?.type !== 'IEND') throw new PngFormatError('truncated PNG: no IEND chunk');
  const firstIdat = chunks.findIndex((c) => c.type === 'IDAT');
  if (firstIdat < 0) throw new PngFormatError('corrupt PNG: no IDAT chunk');

  const parts: Uint8Array[] = [PNG_SIGNATURE];
  chunks.forEach((c, i) => {
    if (i === firstIdat) parts.push(...newChunks);
    if (TEXT_TYPES.has(c.type)) {
      const data = png.subarray(c.offset + 8, c.offset + 8 + c.length);
      const nul = data.indexOf(0);
      if (nul > 0 && wanted.has(latin1(data.subarray(0, nul)))) return;
    }
    parts.push(png.subarray(c.offset, c.offset + 12 + c.length));
  });
  return concatBytes(parts);
}
