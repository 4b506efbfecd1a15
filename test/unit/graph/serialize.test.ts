// Wire format: inline and external-data models load in onnxruntime-node, external data is laid out as declared,
// and writes are atomic (no temp files left behind).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ElemType, GraphBuilder, decodeModel, f32ToF16Bits, f16BitsToF32 } from '../../../models/graph';
import { assertClose, f32, ramp } from './ortHelpers';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sd-graph-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** y = x·W + b over fp32 and an int64 add, plus an fp16 weight cast up: every initializer kind in one model. */
function model(): { g: GraphBuilder; w: Float32Array; b: Float32Array; h: Float32Array } {
  const g = new GraphBuilder({ name: 'roundtrip' });
  const w = ramp(64 * 32, 0.1, 1);
  const b = ramp(32, 1, 2);
  const h = f16BitsToF32(f32ToF16Bits(ramp(32, 1, 3)));
  const x = g.input('x', ElemType.FLOAT, ['batch', 64]);
  const n = g.input('n', ElemType.INT64, [3]);
  const y = g.linear(x, g.initializer('w', w, [64, 32]), g.initializer('b', b, [32]));
  const half = g.cast(g.initializer('h', f32ToF16Bits(h), [32]), ElemType.FLOAT);
  g.output('y', ElemType.FLOAT, ['batch', 32], g.add(y, half));
  g.output('m', ElemType.INT64, [3], g.add(n, g.initializer('k', BigInt64Array.of(1n, 2n, 3n), [3])));
  return { g, w, b, h };
}

function expected(x: Float32Array, w: Float32Array, b: Float32Array, h: Float32Array): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / 64; r++)
    for (let j = 0; j < 32; j++) {
      let s = b[j]! + h[j]!;
      for (let k = 0; k < 64; k++) s += x[r * 64 + k]! * w[k * 32 + j]!;
      out.push(s);
    }
  return out;
}

async function check(session: ort.InferenceSession, m: ReturnType<typeof model>): Promise<void> {
  const x = ramp(2 * 64, 1, 9);
  const res = await session.run({ x: f32(x, [2, 64]), n: new ort.Tensor('int64', BigInt64Array.of(10n, 20n, 30n), [3]) });
  assertClose(res.y!.data as Float32Array, expected(x, m.w, m.b, m.h), 1e-5, 'y');
  assert.deepEqual(Array.from(res.m!.data as BigInt64Array), [11n, 22n, 33n]);
  await session.release();
}

describe('model serialisation', () => {
  it('toBytes: opset 17, ir 8, loads from a buffer, symbolic dims kept', async () => {
    const m = model();
    const bytes = m.g.toBytes();
    const proto = decodeModel(bytes);
    assert.equal(Number(proto.irVersion), 8);
    assert.equal(Number(proto.opsetImport[0]!.version), 17);
    const session = await ort.InferenceSession.create(bytes);
    const meta = session.inputMetadata[0]!;
    assert.ok(meta.isTensor);
    assert.deepEqual(meta.isTensor && meta.shape, ['batch', 64]);
    await check(session, m);
  });

  it('writeModel with external data: declared offsets/lengths match the bytes, loads from the path', async () => {
    const m = model();
    const dir = await tempDir();
    const path = await m.g.writeModel(dir, { externalDataFile: 'weights.pb' });
    assert.equal(path, join(dir, 'model.onnx'));
    assert.deepEqual((await readdir(dir)).sort(), ['model.onnx', 'weights.pb']);
    const proto = decodeModel(await readFile(path));
    const data = await readFile(join(dir, 'weights.pb'));
    const byName = new Map((proto.graph?.initializer ?? []).map((t) => [t.name, t]));
    const w = byName.get('w')!;
    assert.equal(w.dataLocation, 1); // EXTERNAL
    assert.equal(w.rawData?.length ?? 0, 0);
    const kv = Object.fromEntries((w.externalData ?? []).map((e) => [e.key, e.value]));
    assert.equal(kv.location, 'weights.pb');
    assert.equal(Number(kv.length), 64 * 32 * 4);
    assert.equal(Number(kv.offset) % 64, 0);
    const stored = new Float32Array(data.buffer.slice(data.byteOffset + Number(kv.offset), data.byteOffset + Number(kv.offset) + Number(kv.length)));
    assert.deepEqual(stored, m.w);
    assert.equal(byName.get('b')!.dataLocation, 0, 'small tensors stay inline by default');
    await check(await ort.InferenceSession.create(path), m);
  });

  it('externalThreshold 0 puts every initializer outside, and ORT still loads it', async () => {
    const m = model();
    const dir = await tempDir();
    const path = await m.g.writeModel(dir, { externalDataFile: 'all.bin', externalThreshold: 0, fileName: 'm.onnx' });
    const proto = decodeModel(await readFile(path));
    assert.ok((proto.graph?.initializer ?? []).every((t) => t.dataLocation === 1));
    await check(await ort.InferenceSession.create(path), m);
  });

  it('writeModel without external data writes one self-contained file, replacing an old one', async () => {
    const dir = await tempDir();
    await model().g.writeModel(dir);
    const m = model();
    const path = await m.g.writeModel(dir);
    assert.deepEqual(await readdir(dir), ['model.onnx']);
    await check(await ort.InferenceSession.create(path), m);
  });
});
