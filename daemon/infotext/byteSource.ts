// Random access to bytes, from memory or from an open file. The container readers walk chunk/segment
// headers through this so a 1 MB PNG costs a few small reads (metadata), not a read of its pixels.

import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes at `offset` (fewer at end of data). The result may be a view: copy to keep. */
  read(offset: number, length: number): Uint8Array;
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)) };
}

/** Reads are served from one cached block of this size, so walking many small headers costs few system calls. */
const BLOCK = 64 << 10;

/**
 * A file opened for reading; `close()` when done. Reads are synchronous (callers are short, bounded metadata
 * walks, run off the daemon's event loop) and go through a one-block cache: a JPEG of a million fill bytes or a
 * PNG of a million tiny chunks costs a few hundred reads, not millions.
 */
export function fileSource(path: string): ByteSource & { close(): void } {
  // Checked before opening: opening a FIFO blocks until a writer comes.
  if (!statSync(path).isFile()) throw new Error('not a regular file (a folder, device or pipe)');
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const readAt = (buf: Uint8Array, offset: number): number => {
      let got = 0;
      while (got < buf.length) {
        const r = readSync(fd, buf, got, buf.length - got, offset + got);
        if (r === 0) break;
        got += r;
      }
      return got;
    };
    let block = new Uint8Array(0);
    let blockAt = -1;
    return {
      size,
      read(offset, length) {
        const n = Math.max(0, Math.min(length, size - offset));
        if (n === 0) return new Uint8Array(0);
        if (blockAt < 0 || offset < blockAt || offset + n > blockAt + block.length) {
          if (n > BLOCK) {
            const buf = new Uint8Array(n);
            const got = readAt(buf, offset);
            return got === n ? buf : buf.subarray(0, got);
          }
          const buf = new Uint8Array(Math.min(BLOCK, size - offset));
          block = buf.subarray(0, readAt(buf, offset));
          blockAt = offset;
        }
        return block.slice(offset - blockAt, Math.min(block.length, offset - blockAt + n));
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
