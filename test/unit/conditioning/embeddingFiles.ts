// Real-format textual-inversion files for tests: an A1111 `.pt` (torch zip, pickle protocol 2, written byte by
// byte as torch.save does), an A1111/kohya `.safetensors` (`emb_params`) and a diffusers `.bin` ({token: tensor}).
import { writeFileSync } from 'node:fs';
import { writeSafetensors } from '../../../models/formats/safetensors';

class Pickle {
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
    if (n < 256) return this.op(0x4b, n); // BININT1
    return this.op(0x4d, n & 0xff, n >> 8); // BININT2
  }
  global(mod: string, name: string): this {
    this.parts.push(Buffer.from(`c${mod}\n${name}\n`));
    return this;
  }
  bytes(): Buffer {
    return Buffer.concat([...this.parts, Buffer.from('.')]);
  }
}

const MARK = 0x28, TUPLE = 0x74, SETITEM = 0x73, EMPTY_DICT = 0x7d, EMPTY_TUPLE = 0x29, REDUCE = 0x52, BINPERSID = 0x51, NEWFALSE = 0x89;

/** `torch._utils._rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu', numel), 0, shape, stride, False, OrderedDict())` */
function tensor(p: Pickle, key: string, shape: number[]): void {
  const numel = shape.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  p.global('torch._utils', '_rebuild_tensor_v2').op(MARK);
  p.op(MARK).str('storage').global('torch', 'FloatStorage').str(key).str('cpu').int(numel).op(TUPLE, BINPERSID);
  p.int(0);
  p.op(MARK);
  for (const d of shape) p.int(d);
  p.op(TUPLE, MARK);
  for (const s of strides) p.int(s);
  p.op(TUPLE, NEWFALSE);
  p.global('collections', 'OrderedDict').op(EMPTY_TUPLE, REDUCE);
  p.op(TUPLE, REDUCE);
}

function storedZip(members: [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let off = 0;
  for (const [name, data] of members) {
    const n = Buffer.from(name);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(n.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(n.length, 28);
    ch.writeUInt32LE(off, 42);
    locals.push(lh, n, data);
    central.push(ch, n);
    off += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

const f32bytes = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** A1111's `Embedding.save`: {'string_to_token': {'*': 265}, 'string_to_param': {'*': vec}, 'name', 'step', ...}. */
export function writeA1111Pt(path: string, name: string, vectors: Float32Array, width: number): void {
  const p = new Pickle();
  p.op(EMPTY_DICT);
  p.str('string_to_token').op(EMPTY_DICT).str('*').int(265).op(SETITEM, SETITEM);
  p.str('string_to_param').op(EMPTY_DICT).str('*');
  tensor(p, '0', [vectors.length / width, width]);
  p.op(SETITEM, SETITEM);
  p.str('name').str(name).op(SETITEM);
  p.str('step').int(500).op(SETITEM);
  writeFileSync(path, storedZip([['archive/data.pkl', p.bytes()], ['archive/data/0', f32bytes(vectors)], ['archive/version', Buffer.from('3\n')]]));
}

/** diffusers' `learned_embeds.bin`: {'<token>': tensor [width]}. */
export function writeDiffusersBin(path: string, token: string, vector: Float32Array): void {
  const p = new Pickle();
  p.op(EMPTY_DICT).str(token);
  tensor(p, '0', [vector.length]);
  p.op(SETITEM);
  writeFileSync(path, storedZip([['archive/data.pkl', p.bytes()], ['archive/data/0', f32bytes(vector)], ['archive/version', Buffer.from('3\n')]]));
}

/** An A1111-trained `.safetensors` embedding: one tensor `emb_params` [vectors, width]. */
export async function writeEmbParams(path: string, vectors: Float32Array, width: number): Promise<void> {
  await writeSafetensors(path, [{ name: 'emb_params', dtype: 'F32', shape: [vectors.length / width, width], data: new Uint8Array(f32bytes(vectors)) }]);
}
