// A PNG's pixel rows, for the one metadata format that lives in the pixels (stealth PNG info). Bounded: the
// IDAT stream is inflated only as far as the caller reads rows, to at most what IHDR's size allows and never past
// MAX_SCANLINE_BYTES; rows are unfiltered one at a time and handed to the caller, who may stop early. Only what PIL
// opens as RGB/RGBA is decoded (colour types 2 and 6, 8 or 16 bits, not interlaced): the stealth writers and
// readers work on those modes only.

import { constants, inflateSync } from 'node:zlib';
import { u32be, type ByteSource } from './byteSource';
import { walkPng } from './pngChunks';

/** Decompressed scanlines decoded at most: 4096×4096 RGBA at 8 bits fits; larger images are not scanned. */
export const MAX_SCANLINE_BYTES = 80 << 20;

export interface PngPixelLayout {
  width: number;
  height: number;
  /** Samples per pixel: 3 (RGB) or 4 (RGBA). */
  channels: 3 | 4;
  /** Bytes per sample: 1 or 2 (16-bit; PIL keeps the high byte, so callers read byte 0 of each sample). */
  sampleBytes: 1 | 2;
}

export type ScanResult = { ok: true; layout: PngPixelLayout } | { ok: false; why: string };

/** The IHDR layout when the rows can be scanned, else why not. */
function layoutOf(ihdr: Uint8Array): PngPixelLayout | string {
  const width = u32be(ihdr, 0);
  const height = u32be(ihdr, 4);
  const [depth, colour, , , interlace] = [ihdr[8], ihdr[9], ihdr[10], ihdr[11], ihdr[12]];
  if (colour !== 2 && colour !== 6) return 'not an RGB or RGBA image';
  if (depth !== 8 && depth !== 16) return `unsupported bit depth ${depth}`;
  if (interlace !== 0) return 'interlaced';
  if (width === 0 || height === 0) return 'empty image';
  return { width, height, channels: colour === 6 ? 4 : 3, sampleBytes: depth === 16 ? 2 : 1 };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Compressed bytes inflated first; each later step doubles it (a caller that stops early never pays for the rest). */
const FIRST_INFLATE = 64 << 10;

/**
 * The inflated stream, grown on demand: a longer compressed prefix is inflated again from the start, each step
 * twice the last, so the total work stays under twice that of the last step. Z_SYNC_FLUSH: a prefix (or a stream
 * cut short) gives what it holds; `total` (what IHDR declares) caps the output.
 */
function lazyInflate(compressed: Uint8Array, total: number): { upTo(bytes: number): Uint8Array | string } {
  let raw = new Uint8Array(0);
  let used = 0;
  return {
    upTo(bytes) {
      while (raw.length < bytes && used < compressed.length) {
        used = Math.min(compressed.length, used === 0 ? FIRST_INFLATE : used * 2);
        try {
          raw = inflateSync(compressed.subarray(0, used), { maxOutputLength: total, finishFlush: constants.Z_SYNC_FLUSH });
        } catch (e) {
          return `image data does not inflate (${(e as Error).message})`;
        }
      }
      return raw;
    },
  };
}

/**
 * Calls `onRow(y, row)` for each unfiltered row (row = width × channels × sampleBytes bytes, valid only during the
 * call) until it returns false or the rows run out. A stream cut short ends the rows early.
 */
export function scanPngRows(src: ByteSource, onRow: (y: number, row: Uint8Array, layout: PngPixelLayout) => boolean): ScanResult {
  const { chunks } = walkPng(src);
  if (chunks[0]?.type !== 'IHDR' || chunks[0].length < 13) return { ok: false, why: 'no IHDR chunk' };
  const layout = layoutOf(src.read(chunks[0].offset + 8, 13));
  if (typeof layout === 'string') return { ok: false, why: layout };
  const bpp = layout.channels * layout.sampleBytes;
  const stride = layout.width * bpp;
  const total = (stride + 1) * layout.height;
  if (total > MAX_SCANLINE_BYTES) return { ok: false, why: `larger than ${MAX_SCANLINE_BYTES >> 20} MiB of pixels` };
  const idat = chunks.filter((c) => c.type === 'IDAT' && c.complete);
  const compressed = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of idat) {
    compressed.set(src.read(c.offset + 8, c.length), at);
    at += c.length;
  }
  if (compressed.length === 0) return { ok: false, why: 'no image data' };
  const rows = lazyInflate(compressed, total);
  let prev = new Uint8Array(stride);
  let cur = new Uint8Array(stride);
  for (let y = 0; y < layout.height; y++) {
    const raw = rows.upTo((y + 1) * (stride + 1));
    if (typeof raw === 'string') return { ok: false, why: raw };
    if (raw.length < (y + 1) * (stride + 1)) break; // a stream cut short: the rows before the cut
    const base = y * (stride + 1);
    const filter = raw[base]!;
    for (let i = 0; i < stride; i++) {
      const x = raw[base + 1 + i]!;
      const a = i >= bpp ? cur[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      cur[i] = (filter === 0 ? x : filter === 1 ? x + a : filter === 2 ? x + b : filter === 3 ? x + ((a + b) >> 1) : x + paeth(a, b, c)) & 0xff;
    }
    if (!onRow(y, cur, layout)) break;
    [prev, cur] = [cur, prev];
  }
  return { ok: true, layout };
}
