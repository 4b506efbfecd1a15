// The built CLI's model commands, end to end: CLI → spawned daemon → models/ library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedPath } from '../sharedPath';
import { runCli, tempDir } from './harness';
import { readSafetensors, writeSafetensors } from '../../models/formats/safetensors';

const f32 = (v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
const env = () => ({ SD_STUDIO_CACHE_DIR: tempDir('sd-cache-') });

async function checkpoint(dir: string, name: string, k: number): Promise<string> {
  const p = join(dir, name);
  await writeSafetensors(p, [
    { name: 'model.diffusion_model.w', dtype: 'F32', shape: [2, 2], data: f32([k, k + 1, k + 2, k + 3]) },
    { name: 'alphas_cumprod', dtype: 'F32', shape: [2], data: f32([0.5, 0.25]) },
  ]);
  return p;
}

test('sd-studio hash FILE...: AutoV2 and sha256 per file', async () => {
  const dir = tempDir();
  const a = await checkpoint(dir, 'a.safetensors', 1);
  const b = await checkpoint(dir, 'b.safetensors', 5);
  const r = runCli(['hash', a, b], env());
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  const sha = createHash('sha256').update(readFileSync(a)).digest('hex');
  assert.equal(lines[0], `${sha.slice(0, 10)}  ${sha}  ${a}`);
  const missing = runCli(['hash', join(dir, 'nope.safetensors')], env());
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.safetensors/);
  assert.equal(runCli(['hash'], env()).code, 2);
});

test('sd-studio merge: weighted sum with --fp16 writes a loadable file with the recipe', async () => {
  const dir = tempDir();
  const a = await checkpoint(dir, 'a.safetensors', 1);
  const b = await checkpoint(dir, 'b.safetensors', 5);
  const out = join(dir, 'out.safetensors');
  const r = runCli(['merge', '--primary', a, '--secondary', b, '--method', 'weighted-sum', '--multiplier', '0.25', '--fp16', '--out', out], env());
  assert.equal(r.code, 0, r.stderr);
  const st = await readSafetensors(out);
  const w = st.tensors.find((t) => t.name === 'model.diffusion_model.w')!;
  assert.equal(w.dtype, 'F16');
  assert.equal(JSON.parse(st.metadata.sd_merge_recipe!).interp_method, 'Weighted sum');
  // Usage errors exit 2; refusals exit 1 and leave nothing behind.
  assert.equal(runCli(['merge', '--primary', a, '--method', 'weighted-sum', '--multiplier', '0.5', '--out', out], env()).code, 2);
  assert.equal(runCli(['merge', '--primary', a, '--method', 'bogus', '--multiplier', '0.5', '--out', out], env()).code, 2);
  const bad = join(dir, 'bad.safetensors');
  const hostile = sharedPath('models-fixtures', 'torch-pickles', 'hostile_os_system.ckpt');
  const refused = runCli(['merge', '--primary', hostile, '--method', 'no-interpolation', '--multiplier', '0', '--out', bad], env());
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /posix\.system/);
  assert.equal(existsSync(bad), false);
});

test('sd-studio convert: torch → safetensors; hostile pickles refused with exit 1 and no side effect', async () => {
  const dir = tempDir();
  const out = join(dir, 'flat.safetensors');
  const ok = runCli(['convert', sharedPath('models-fixtures', 'torch-pickles', 'flat_fp16.pt'), out], env());
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((await readSafetensors(out)).tensors.length, 5);
  for (const f of ['hostile_os_system.ckpt', 'hostile_plain_pickle.pt']) {
    const bad = join(dir, `${f}.safetensors`);
    const r = runCli(['convert', sharedPath('models-fixtures', 'torch-pickles', f), bad], env());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /global 'posix\.system' is forbidden/);
    assert.equal(existsSync(bad), false);
  }
  assert.deepEqual(readdirSync('/tmp').filter((n) => n.startsWith('sd-studio-pwned-shared')), []);
  assert.equal(runCli(['convert', 'only-one-arg'], env()).code, 2);
});
