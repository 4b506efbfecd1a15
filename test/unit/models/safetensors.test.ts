import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsWriter, readSafetensors, writeSafetensors } from '../../../models/formats/safetensors';
import { openWeights } from '../../../models/formats/open';
import { readTensor } from '../../../models/formats/tensorRecord';

const tmp = () => mkdtempSync(join(tmpdir(), 'sd-st-'));
const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

/** A safetensors file from a raw header object and data bytes. */
function rawFile(dir: string, name: string, header: unknown, data: Uint8Array, lenOverride?: bigint): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lenOverride ?? BigInt(json.length));
  const p = join(dir, name);
  writeFileSync(p, Buffer.concat([len, json, data]));
  return p;
}

test('round trip: write with metadata, read back lazily, all dtypes converted to f32', async () => {
  const dir = tmp();
  const p = join(dir, 'a.safetensors');
  await writeSafetensors(p, [
    { name: 'w', dtype: 'F32', shape: [2, 2], data: f32(1, 2, 3, 4) },
    { name: 'h', dtype: 'F16', shape: [2], data: new Uint8Array(Uint16Array.from([0x3c00, 0xc000]).buffer) },
    { name: 'b', dtype: 'BF16', shape: [1], data: new Uint8Array(Uint16Array.from([0x3fc0]).buffer) },
    { name: 'i', dtype: 'I64', shape: [2], data: new Uint8Array(BigInt64Array.from([5n, -7n]).buffer) },
    { name: 'e', dtype: 'F8_E4M3', shape: [1], data: Uint8Array.from([0x38]) },
    { name: 'empty', dtype: 'F32', shape: [0, 3], data: new Uint8Array(0) },
  ], { note: 'hi' });
  const st = await readSafetensors(p);
  assert.deepEqual(st.metadata, { note: 'hi' });
  assert.equal(st.dataStart % 8, 0, 'header padded to 8');
  const get = (n: string) => st.tensors.find((t) => t.name === n)!;
  assert.deepEqual(Array.from((await readTensor(get('w'), 'F32')) as Float32Array), [1, 2, 3, 4]);
  assert.deepEqual(Array.from((await readTensor(get('h'), 'F32')) as Float32Array), [1, -2]);
  assert.deepEqual(Array.from((await readTensor(get('b'), 'F32')) as Float32Array), [1.5]);
  assert.deepEqual(Array.from((await readTensor(get('i'), 'F32')) as Float32Array), [5, -7]);
  assert.deepEqual(Array.from((await readTensor(get('e'), 'F32')) as Float32Array), [1]);
  assert.equal((await readTensor(get('empty'))).length, 0);
  assert.equal((await openWeights(p)).format, 'safetensors');
});

const bad: [string, (dir: string) => string, RegExp][] = [
  ['truncated data', (d) => rawFile(d, 't.safetensors', { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(1, 2)), /t\.safetensors: tensor 'w': .*past the end of the file.*truncated/],
  ['header length past EOF', (d) => rawFile(d, 'h.safetensors', '{}', new Uint8Array(0), 4096n), /h\.safetensors: header length 4096 runs past the end of the file/],
  ['huge header length', (d) => rawFile(d, 'g.safetensors', '{}', new Uint8Array(0), 1n << 40n), /over the 100000000-byte limit/],
  ['overlapping spans', (d) => rawFile(d, 'o.safetensors', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(1, 2, 3)), /o\.safetensors: tensor 'b' \[4, 12\] overlaps/],
  ['unknown dtype', (d) => rawFile(d, 'u.safetensors', { a: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, f32(1)), /u\.safetensors: tensor 'a': unknown dtype 'Q4'/],
  ['shape × dtype ≠ span', (d) => rawFile(d, 's.safetensors', { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(1, 2)), /shape \[3\] × F32 is 12 bytes but data_offsets span 8/],
  ['not JSON', (d) => rawFile(d, 'j.safetensors', '{nope', new Uint8Array(0)), /j\.safetensors: header is not valid JSON/],
  ['JSON array', (d) => rawFile(d, 'arr.safetensors', '[1]', new Uint8Array(0)), /arr\.safetensors: .*(not a JSON object|unrecognised)/],
  ['metadata not strings', (d) => rawFile(d, 'm.safetensors', { __metadata__: { a: 1 } }, new Uint8Array(0)), /__metadata__ value 'a' is not a string/],
  ['gap', (d) => rawFile(d, 'gap.safetensors', { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1, 2)), /gap of 4 bytes/],
];
for (const [what, make, re] of bad) {
  test(`bad safetensors: ${what}`, async () => {
    const p = make(tmp());
    await assert.rejects(openWeights(p), re);
  });
}

test('writer: abort leaves no file and no temp; wrong sizes abort', async () => {
  const dir = tmp();
  const out = join(dir, 'x.safetensors');
  const w = await SafetensorsWriter.create(out, [{ name: 'a', dtype: 'F32', shape: [2] }]);
  await assert.rejects(w.write(f32(1)), /is 4 bytes, header says 8/);
  assert.deepEqual(readdirSync(dir), []);
  const w2 = await SafetensorsWriter.create(out, [{ name: 'a', dtype: 'F32', shape: [2] }]);
  await assert.rejects(w2.commit(), /only 0 of 1/);
  assert.deepEqual(readdirSync(dir), []);
});
