import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedPath } from '../../sharedPath';
import { openWeights } from '../../../models/formats/open';
import { pyRepr } from '../../../models/formats/pickle';
import { readTensor } from '../../../models/formats/tensorRecord';
import { storedZip } from '../../fixtures/torchSave';

const dir = sharedPath('models-fixtures', 'torch-pickles');
interface Expected { dtype?: string; shape?: number[]; values?: number[]; sum?: number; python?: string }
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, Record<string, Expected>>;
const DTYPES: Record<string, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16', int64: 'I64', float64: 'F64' };

for (const [file, leaves] of Object.entries(expected)) {
  test(`${file} reads back to expected.json`, async () => {
    const w = await openWeights(join(dir, file));
    const byName = new Map(w.tensors.map((t) => [t.name, t]));
    for (const [path, exp] of Object.entries(leaves)) {
      if (exp.python !== undefined) {
        assert.ok(w.leaves.has(path), `leaf ${path} missing`);
        assert.equal(pyRepr(w.leaves.get(path)!), exp.python, path);
        continue;
      }
      const rec = byName.get(path);
      assert.ok(rec, `tensor ${path} missing; have ${[...byName.keys()].join(', ')}`);
      assert.equal(rec.dtype, DTYPES[exp.dtype!], `${path} dtype`);
      assert.deepEqual(rec.shape, exp.shape, `${path} shape`);
      const values = Array.from(await readTensor(rec, 'F32') as Float32Array);
      assert.deepEqual(values.slice(0, exp.values!.length), exp.values, `${path} values`);
      const sum = values.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - exp.sum!) <= 1e-4 * Math.max(1, Math.abs(exp.sum!)), `${path} sum ${sum} vs ${exp.sum}`);
    }
    assert.equal(w.tensors.length, Object.values(leaves).filter((e) => e.python === undefined).length);
  });
}

test('int64 tensors read natively as BigInt64Array', async () => {
  const w = await openWeights(join(dir, 'flat_fp16.pt'));
  const pos = w.tensors.find((t) => t.name.endsWith('position_ids'))!;
  const v = await readTensor(pos);
  assert.ok(v instanceof BigInt64Array);
  assert.equal(v[76], 76n);
});

const pwned = () => readdirSync('/tmp').filter((f) => f.startsWith('sd-studio-pwned-shared'));

for (const [file, global] of [['hostile_os_system.ckpt', /posix\.system|os\.system/], ['hostile_plain_pickle.pt', /posix\.system|os\.system/]] as const) {
  test(`${file} is refused naming the global, and nothing runs`, async () => {
    const before = pwned();
    await assert.rejects(openWeights(join(dir, file)), (e: Error) => {
      assert.match(e.message, global);
      assert.ok(e.message.includes(file), 'names the file');
      return true;
    });
    assert.deepEqual(pwned(), before);
    assert.equal(existsSync('/tmp/sd-studio-pwned-shared'), false);
    assert.equal(existsSync('/tmp/sd-studio-pwned-shared2'), false);
  });
}

test('a zip that is not a torch archive is refused', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sd-zip-'));
  const p = join(tmp, 'notes.ckpt');
  writeFileSync(p, storedZip([['notes/readme.txt', Buffer.from('hello')]]));
  await assert.rejects(openWeights(p), /notes\.ckpt: not a PyTorch checkpoint archive: unexpected member 'notes\/readme\.txt'/);
  const q = join(tmp, 'nopkl.pt');
  writeFileSync(q, storedZip([['a/version', Buffer.from('3\n')]]));
  await assert.rejects(openWeights(q), /0 data\.pkl members/);
});

test('a pickle with an unknown opcode is refused, naming the opcode and file', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sd-pkl-'));
  const p = join(tmp, 'weird.ckpt');
  writeFileSync(p, storedZip([['a/data.pkl', Buffer.from([0x80, 0x02, 0x7d, 0xff, 0x2e])]]));
  await assert.rejects(openWeights(p), /weird\.ckpt: pickle: unknown opcode 0xff at byte 3/);
});

test('a truncated torch zip is refused', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sd-trunc-'));
  const bytes = readFileSync(join(dir, 'flat_fp16.pt'));
  const p = join(tmp, 'cut.pt');
  writeFileSync(p, bytes.subarray(0, 2000));
  await assert.rejects(openWeights(p), /cut\.pt: .*(truncated|end-of-central-directory)/);
});


