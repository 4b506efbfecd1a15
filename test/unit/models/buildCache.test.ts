// SD Studio's cache: one size limit for builds, variants and derived graphs; files shared through hard links
// counted once, links into the user's own model files never; least recently used out; `sd-studio cache`.
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BUILD_STAMP, clearCache, enforceCacheLimit, listCache } from '../../../models/buildCache';
import { runCli } from '../../daemon/harness';

const MB = 2 ** 20;

function fakeCache(): { root: string; user: string; a: string; b: string; c: string } {
  const root = mkdtempSync(join(tmpdir(), 'sd-cache-'));
  const user = mkdtempSync(join(tmpdir(), 'sd-user-'));
  writeFileSync(join(user, 'model.safetensors'), Buffer.alloc(10 * MB));
  const build = (name: string, stamp: object, ageDays: number): string => {
    const dir = join(root, 'onnx', name);
    mkdirSync(join(dir, 'unet'), { recursive: true });
    writeFileSync(join(dir, BUILD_STAMP), JSON.stringify(stamp));
    const t = new Date(Date.now() - ageDays * 86400e3);
    utimesSync(join(dir, BUILD_STAMP), t, t);
    return dir;
  };
  const a = build('a', { checkpoint: '/m/model.safetensors' }, 3);
  writeFileSync(join(a, 'unet', 'weights.bin'), Buffer.alloc(3 * MB));
  linkSync(join(user, 'model.safetensors'), join(a, 'unet', 'checkpoint.weights'));
  const b = build('a+lora', { checkpoint: '/m/model.safetensors', base: a, loras: [{ name: 'style', te: 1, unet: 0.5 }] }, 2);
  linkSync(join(a, 'unet', 'weights.bin'), join(b, 'unet', 'weights.bin'));
  linkSync(join(user, 'model.safetensors'), join(b, 'unet', 'checkpoint.weights'));
  writeFileSync(join(b, 'unet', 'model.onnx'), Buffer.alloc(1 * MB));
  const c = build('c', { checkpoint: '/m/other.safetensors' }, 0);
  writeFileSync(join(c, 'unet', 'weights.bin'), Buffer.alloc(2 * MB));
  mkdirSync(join(root, 'surgery'));
  writeFileSync(join(root, 'surgery', '0123abcd.v1.skip2.onnx'), Buffer.alloc(MB / 2));
  const day = new Date(Date.now() - 86400e3);
  utimesSync(join(root, 'surgery', '0123abcd.v1.skip2.onnx'), day, day);
  return { root, user, a, b, c };
}

describe('cache (models/buildCache.ts)', () => {
  it('counts shared files once and links into user files never; LRU eviction keeps what is in use', () => {
    const { root, a, b, c } = fakeCache();
    const l = listCache(root);
    assert.deepEqual(l.entries.map((e) => e.path), [c, join(root, 'surgery', '0123abcd'), b, a]);
    assert.ok(Math.abs(l.totalBytes - 6.5 * MB) < 4096, `total ${l.totalBytes}`);
    const byPath = new Map(l.entries.map((e) => [e.path, e]));
    assert.equal(byPath.get(b)!.kind, 'variant');
    assert.equal(byPath.get(b)!.title, 'model.safetensors + <lora:style:1:0.5>');
    assert.ok(byPath.get(a)!.bytes < 4096, 'the base\'s weights are shared with its variant: removing the base alone frees nothing');
    assert.ok(Math.abs(byPath.get(b)!.bytes - MB) < 4096);
    const removed = enforceCacheLimit(root, 3 * MB, [c]);
    assert.deepEqual(removed.map((e) => e.path), [a, b], 'oldest first until it fits');
    assert.ok(!existsSync(a) && !existsSync(b) && existsSync(c));
    assert.ok(listCache(root).totalBytes <= 3 * MB);
    const cleared = clearCache(root, [c]);
    assert.deepEqual(listCache(root).entries.map((e) => e.path), [c]);
    assert.deepEqual(cleared.removed.map((e) => e.path), [join(root, 'surgery', '0123abcd')]);
  });

  it('sd-studio cache list --json and clear', () => {
    const { root } = fakeCache();
    const env = { SD_STUDIO_CACHE_DIR: root, SD_STUDIO_CACHE_LIMIT_GB: '2' };
    const list = runCli(['cache', 'list', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const j = JSON.parse(list.stdout) as { entries: Array<{ kind: string }>; totalBytes: number; limitBytes: number };
    assert.equal(j.entries.length, 4);
    assert.equal(j.limitBytes, 2 * 2 ** 30);
    assert.match(runCli(['cache', 'list'], env).stdout, /6\.5 MB of 2\.00 GB\n.*checkpoint +other\.safetensors/);
    const clear = runCli(['cache', 'clear'], env);
    assert.equal(clear.code, 0, clear.stderr);
    assert.match(clear.stdout, /removed 4 entries, freed 6\.5 MB/);
    assert.equal(runCli(['cache', 'nothing'], env).code, 2);
  });
});
