// Random access to bytes, from memory or from an open file. The container readers walk chunk/segment
// headers through this so a 1 MB PNG costs a few small reads (metadata), not a read of its pixels.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes at `offset` (fewer at end of data). The result may be a view: copy to keep. */
  read(offset: number, length: number): Uint8Array;
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)) };
}

/** A file opened for reading; `close()` when done. Reads are synchronous: the callers are short metadata walks. */
export function fileSource(path: string): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    return {
      size,
      read(offset, length) {
        const n = Math.max(0, Math.min(length, size - offset));
        const buf = new Uint8Array(n);
        let got = 0;
        while (got < n) {
          const r = readSync(fd, buf, got, n - got, offset + got);
          if (r === 0) break;
          got += r;
        }
        return got === n ? buf : buf.subarray(0, got);
      },
      close: () => closeSync(fd),
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * Byte `i` of `b`, 0 past its end: a header field cut short by the end of a file reads as zero bytes (the readers
 * report the truncation where it matters), as `undefined << n` did before these reads were typed.
 */
const byteAt = (b: Uint8Array, i: number): number => b[i] ?? 0;

export function u32be(b: Uint8Array, at: number): number {
  return ((byteAt(b, at) << 24) | (byteAt(b, at + 1) << 16) | (byteAt(b, at + 2) << 8) | byteAt(b, at + 3)) >>> 0;
}
export const u32le = (b: Uint8Array, at: number): number =>
  (byteAt(b, at) | (byteAt(b, at + 1) << 8) | (byteAt(b, at + 2) << 16) | (byteAt(b, at + 3) << 24)) >>> 0;
export const u24le = (b: Uint8Array, at: number): number => byteAt(b, at) | (byteAt(b, at + 1) << 8) | (byteAt(b, at + 2) << 16);
export const u16le = (b: Uint8Array, at: number): number => byteAt(b, at) | (byteAt(b, at + 1) << 8);

/** Bytes start..end as Latin-1 text; past the end of `b` reads as NUL. */
export function ascii(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(byteAt(b, i));
  return s;
}

/** Join byte arrays into one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
