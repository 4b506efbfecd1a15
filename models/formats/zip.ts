// The zip container, read from its central directory (zip64 included: torch checkpoints pass 4 GB): the member
// list, where a member's bytes start, and a streamed extraction of one member to a file (inflate + CRC-32 check).
// Used by the torch checkpoint reader (torchZip.ts) and for NuGet packages (models/gpuRuntime), which are zips.
import { createWriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { createInflateRaw, crc32 } from 'node:zlib';
import { WeightsError, readExactly } from './tensorRecord';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeader: number;
}

/** End-of-central-directory (zip64-aware) → the entries. */
export async function readZipDirectory(fh: FileHandle, path: string, size: number): Promise<ZipEntry[]> {
  const fail = (problem: string): never => {
    throw new WeightsError(path, problem);
  };
  const tailLen = Math.min(size, 22 + 0xffff + 20);
  const tail = await readExactly(fh, path, size - tailLen, tailLen);
  const tv = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('not a zip archive (no end-of-central-directory record): truncated or not a checkpoint');
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // Zip64: the locator sits just before the EOCD and points at the zip64 EOCD record.
    const loc = eocd - 20;
    if (loc < 0 || tv.getUint32(loc, true) !== 0x07064b50) fail('zip64 archive without a zip64 locator');
    const rec = await readExactly(fh, path, num(tv.getBigUint64(loc + 8, true)), 56);
    const rv = new DataView(rec.buffer);
    if (rv.getUint32(0, true) !== 0x06064b50) fail('bad zip64 end-of-central-directory record');
    count = num(rv.getBigUint64(32, true));
    cdSize = num(rv.getBigUint64(40, true));
    cdOffset = num(rv.getBigUint64(48, true));
  }
  if (cdOffset + cdSize > size) fail(`central directory (${cdSize} bytes at ${cdOffset}) runs past the end of the file: truncated`);
  const cd = await readExactly(fh, path, cdOffset, cdSize);
  const dv = new DataView(cd.buffer);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || dv.getUint32(p, true) !== 0x02014b50) fail(`corrupt central directory at entry ${i}`);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    if (p + 46 + nameLen + extraLen > cd.length) fail(`corrupt central directory at entry ${i}`);
    const e: ZipEntry = {
      name: new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen)),
      method: dv.getUint16(p + 10, true),
      compressedSize: dv.getUint32(p + 20, true),
      size: dv.getUint32(p + 24, true),
      crc32: dv.getUint32(p + 16, true),
      localHeader: dv.getUint32(p + 42, true),
    };
    applyZip64Extra(e, dv, p + 46 + nameLen, extraLen);
    if (e.method === 0 && e.compressedSize !== e.size) fail(`member '${e.name}': stored sizes disagree`);
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Zip64 extra field (id 1): 64-bit values for exactly the fields saturated at 0xffffffff, in this order. */
function applyZip64Extra(e: ZipEntry, dv: DataView, start: number, len: number): void {
  for (let q = start; q + 4 <= start + len; ) {
    const id = dv.getUint16(q, true);
    const sz = dv.getUint16(q + 2, true);
    if (id === 1) {
      let r = q + 4;
      const next = (): number => {
        const v = num(dv.getBigUint64(r, true));
        r += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = next();
      if (e.compressedSize === 0xffffffff) e.compressedSize = next();
      if (e.localHeader === 0xffffffff) e.localHeader = next();
    }
    q += 4 + sz;
  }
}

const num = (v: bigint): number => {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`zip field ${v} too large`);
  return Number(v);
};

/** Where the member's (stored or compressed) bytes start; checks the local header and that they fit the file. */
export async function zipMemberData(fh: FileHandle, path: string, e: ZipEntry, fileSize: number): Promise<number> {
  const local = await readExactly(fh, path, e.localHeader, 30);
  const dv = new DataView(local.buffer);
  if (dv.getUint32(0, true) !== 0x04034b50) throw new WeightsError(path, `member '${e.name}': bad local header signature`);
  const offset = e.localHeader + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
  const stored = e.method === 0 ? e.size : e.compressedSize;
  if (offset + stored > fileSize) throw new WeightsError(path, `member '${e.name}' runs past the end of the file: truncated`);
  return offset;
}

/**
 * Streams one member into `dest` (stored or deflate), checking its size and CRC-32 against the central directory.
 * `dest` is written as given: callers write to a temporary name and rename.
 */
export async function extractZipMember(fh: FileHandle, path: string, e: ZipEntry, fileSize: number, dest: string, signal?: AbortSignal): Promise<void> {
  if (e.method !== 0 && e.method !== 8) throw new WeightsError(path, `member '${e.name}' uses compression method ${e.method} (only stored and deflate are read)`);
  const start = await zipMemberData(fh, path, e, fileSize);
  const stored = e.method === 0 ? e.size : e.compressedSize;
  let crc = 0;
  let size = 0;
  const check = new Transform({
    transform(chunk: Buffer, _enc, done) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      if (size > e.size) done(new WeightsError(path, `member '${e.name}' inflates past its declared ${e.size} bytes`));
      else done(null, chunk);
    },
  });
  const source = fh.createReadStream({ start, end: start + stored - 1, autoClose: false });
  const stages = e.method === 8 ? [source, createInflateRaw(), check] : [source, check];
  try {
    await pipeline([...stages, createWriteStream(dest)], signal ? { signal } : {});
  } catch (err) {
    if (err instanceof WeightsError || (err as Error).name === 'AbortError') throw err;
    throw new WeightsError(path, `member '${e.name}': ${(err as Error).message}`);
  }
  if (size !== e.size) throw new WeightsError(path, `member '${e.name}': ${size} bytes extracted, the archive says ${e.size}`);
  if ((crc >>> 0) !== e.crc32) throw new WeightsError(path, `member '${e.name}': CRC-32 mismatch (corrupt archive)`);
}
