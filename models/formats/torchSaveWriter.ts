// torch.save's file format, written without Python: a zip of stored members (each 64-byte aligned through the local
// header's extra field, as torch's writer aligns them) holding `archive/data.pkl` — a protocol-2 pickle whose
// tensors are `torch._utils._rebuild_tensor_v2(('storage', torch.FloatStorage, key, 'cpu', numel), 0, size,
// stride, False, OrderedDict())` with the storage as a persistent id — `archive/data/<key>`, `archive/version`
// and `archive/byteorder`. What torch.load (and our reader) read; used for A1111 aesthetic embeddings (a bare
// [1, 768] float tensor). Written atomically, never over an existing file unless asked.
import { crc32, deflateRawSync } from 'node:zlib';
import type { DType } from './tensorRecord';

/** The pickle opcodes torch.save's protocol-2 pickles use. */
export const OP = { MARK: 0x28, TUPLE: 0x74, SETITEM: 0x73, SETITEMS: 0x75, EMPTY_DICT: 0x7d, EMPTY_TUPLE: 0x29, REDUCE: 0x52, BINPERSID: 0x51, NEWFALSE: 0x89 } as const;
const { MARK, TUPLE, EMPTY_TUPLE, REDUCE, BINPERSID, NEWFALSE } = OP;

/** A protocol-2 pickle, built opcode by opcode. */
export class Pickle {
  private parts: Buffer[] = [Buffer.from([0x80, 0x02])];
  op(...bytes: number[]): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    this.parts.push(Buffer.from('X'), len, b);
    return this;
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n); // BININT1
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8); // BININT2
    const b = Buffer.alloc(5);
    b[0] = 0x4a; // BININT
    b.writeInt32LE(n, 1);
    this.parts.push(b);
    return this;
  }
  global(mod: string, name: string): this {
    this.parts.push(Buffer.from(`c${mod}\n${name}\n`));
    return this;
  }
  bytes(): Buffer {
    return Buffer.concat([...this.parts, Buffer.from('.')]);
  }
}

const STORAGE: Partial<Record<DType, string>> = { F32: 'FloatStorage', F16: 'HalfStorage', I64: 'LongStorage', BF16: 'BFloat16Storage' };

/** Pushes `torch._utils._rebuild_tensor_v2((storage pid), 0, shape, stride, False, OrderedDict())` (contiguous). */
export function pickleTensor(p: Pickle, key: string, dtype: DType, shape: readonly number[]): void {
  const cls = STORAGE[dtype];
  if (!cls) throw new Error(`torch.save writer: no storage class for ${dtype}`);
  const numel = shape.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  p.global('torch._utils', '_rebuild_tensor_v2').op(MARK);
  p.op(MARK).str('storage').global('torch', cls).str(key).str('cpu').int(numel).op(TUPLE, BINPERSID);
  p.int(0).op(MARK);
  for (const d of shape) p.int(d);
  p.op(TUPLE, MARK);
  for (const s of strides) p.int(s);
  p.op(TUPLE, NEWFALSE);
  p.global('collections', 'OrderedDict').op(EMPTY_TUPLE, REDUCE);
  p.op(TUPLE, REDUCE);
}

/**
 * A zip of stored members, each 64-byte aligned through the local header's extra field, as torch writes. A member
 * given an inflated size is a raw deflate stream of that many bytes (re-zipped archives; tests craft lying ones).
 */
export function storedZip(members: Array<[name: string, data: Buffer, inflatedSize?: number]>): Buffer {
  return zipArchive(members.map(([name, data, inflatedSize]) => ({ name, data, ...(inflatedSize !== undefined ? { deflated: { size: inflatedSize } } : {}) })));
}

/** The same layout with members deflated here (as NuGet packages are; the GPU runtime install's tests serve one). */
export function deflatedZip(members: Array<[string, Buffer]>): Buffer {
  return zipArchive(members.map(([name, raw]) => ({ name, data: deflateRawSync(raw), deflated: { size: raw.length, crc: crc32(raw) } })));
}

/** `deflated`: `data` is a raw deflate stream of `size` bytes (CRC-32 of those bytes, where known). */
function zipArchive(members: Array<{ name: string; data: Buffer; deflated?: { size: number; crc?: number } }>): Buffer {
  const out: Buffer[] = [];
  const central: Buffer[] = [];
  let off = 0;
  for (const { name, data, deflated } of members) {
    const method = deflated ? 8 : 0;
    const size = deflated?.size ?? data.length;
    const n = Buffer.from(name);
    const start = off + 30 + n.length + 4;
    const pad = (64 - (start % 64)) % 64;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x1234, 0); // torch's padding extra-field id
    extra.writeUInt16LE(pad, 2);
    const crc = deflated?.crc ?? crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(size, 22);
    lh.writeUInt16LE(n.length, 26);
    lh.writeUInt16LE(extra.length, 28);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(size, 24);
    ch.writeUInt16LE(n.length, 28);
    ch.writeUInt32LE(off, 42);
    out.push(lh, n, extra, data);
    central.push(ch, n);
    off += 30 + n.length + extra.length + data.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(off, 16);
  return Buffer.concat([...out, cd, eocd]);
}

/** `torch.save(tensor, path)` of one float32 tensor, as bytes. */
export function torchSaveTensorBytes(data: Float32Array, shape: readonly number[]): Buffer {
  if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`torch.save writer: ${data.length} values for shape [${shape.join(', ')}]`);
  const p = new Pickle();
  pickleTensor(p, '0', 'F32', shape);
  return storedZip([
    ['archive/data.pkl', p.bytes()],
    ['archive/byteorder', Buffer.from('little')],
    ['archive/data/0', Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
    ['archive/version', Buffer.from('3\n')],
  ]);
}
