import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedPath } from '../../sharedPath';
import { HashCache, defaultCacheDir, hashFile, legacyModelHash } from '../../../models/hash';
import { convertToSafetensors } from '../../../models/convert';
import { readSafetensors, writeSafetensors } from '../../../models/formats/safetensors';
import { openWeights } from '../../../models/formats/open';
import { readTensor } from '../../../models/formats/tensorRecord';

const tmp = () => mkdtempSync(join(tmpdir(), 'sd-hash-'));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('hashes match A1111: full/10, legacy 64 KiB at 1 MiB, addnet skips the header, TI/LoRA 12', async () => {
  const dir = tmp();
  const p = join(dir, 'lora.safetensors');
  const data = new Uint8Array(3 << 20).map((_, i) => (i * 31) & 0xff);
  await writeSafetensors(p, [{ name: 'w', dtype: 'U8', shape: [data.length], data }], { ss_x: 'y' });
  const bytes = readFileSync(p);
  const n = Number(bytes.readBigUInt64LE(0));
  const h = await hashFile(p, { cache: new HashCache(dir) });
  assert.equal(h.sha256, sha(bytes));
  assert.equal(h.autoV2, sha(bytes).slice(0, 10));
  assert.equal(h.legacy, sha(bytes.subarray(0x100000, 0x110000)).slice(0, 8));
  assert.equal(h.addnet, sha(bytes.subarray(8 + n)));
  assert.equal(h.lora, h.addnet!.slice(0, 12));
  assert.equal(h.ti, h.sha256.slice(0, 12));
  // A small file: legacy hash of whatever lies past 1 MiB (nothing) = sha256 of empty.
  const small = join(dir, 'small.bin');
  writeFileSync(small, 'x');
  assert.equal(await legacyModelHash(small), sha(new Uint8Array(0)).slice(0, 8));
  assert.equal(await legacyModelHash(join(dir, 'missing')), 'NOFILE');
});

test('cache: survives a new instance, invalidated by mtime/size change; env override', async () => {
  const dir = tmp();
  const cdir = join(dir, 'cache');
  const p = join(dir, 'f.bin');
  writeFileSync(p, 'hello');
  await hashFile(p, { cache: new HashCache(cdir) });
  const file = JSON.parse(readFileSync(join(cdir, 'hashes.json'), 'utf8'));
  assert.equal(Object.keys(file.entries).length, 1);
  // Poison the cached value: a fresh instance with the same size+mtime must return it (proves it is used).
  const key = Object.keys(file.entries)[0]!;
  file.entries[key].sha256 = 'ab'.repeat(32);
  writeFileSync(join(cdir, 'hashes.json'), JSON.stringify(file));
  assert.equal((await hashFile(p, { cache: new HashCache(cdir) })).sha256, 'ab'.repeat(32));
  utimesSync(p, new Date(), new Date(Date.now() + 5000));
  assert.equal((await hashFile(p, { cache: new HashCache(cdir) })).sha256, sha(Buffer.from('hello')));
  assert.equal(defaultCacheDir({ SD_STUDIO_CACHE_DIR: '/x/y' }), '/x/y');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/c' }), '/c/sd-studio');
});

test('convert: torch checkpoint → safetensors with the source hash recorded; values identical', async () => {
  const dir = tmp();
  for (const name of ['ckpt_fp32_state_dict.ckpt', 'shared_storage_views.pt', 'legacy_format.pt', 'flat_bf16.pt']) {
    const src = sharedPath('models-fixtures', 'torch-pickles', name);
    const out = join(dir, `${name}.safetensors`);
    const res = await convertToSafetensors({ input: src, out, hashCache: new HashCache(dir) });
    const st = await readSafetensors(out);
    assert.equal(st.metadata.sd_studio_source_sha256, sha(readFileSync(src)));
    assert.equal(res.sha256, sha(readFileSync(out)));
    const orig = await openWeights(src);
    for (const t of st.tensors) {
      const o = orig.tensors.find((x) => x.name === t.name || x.name === `state_dict/${t.name}`)!;
      assert.deepEqual(Array.from((await readTensor(t, "F32")) as Float32Array), Array.from((await readTensor(o, "F32")) as Float32Array), `${name} ${t.name}`);
    }
  }
});

test('convert refuses hostile files, leaving nothing behind', async () => {
  const dir = tmp();
  const out = join(dir, 'x.safetensors');
  await assert.rejects(convertToSafetensors({ input: sharedPath('models-fixtures', 'torch-pickles', 'hostile_plain_pickle.pt'), out, hashCache: false }), /posix\.system|os\.system/);
  assert.deepEqual(readdirSync(dir), []);
});
