// The GPU runtime download against a NuGet feed on 127.0.0.1 (test/fixtures/fakeNuget.ts): a package whose bytes
// do not match the published SHA-512 is refused and deleted; an interrupted transfer continues with a Range
// request (in a later call and within one call); a cancelled one keeps its part. Plus the zip member extraction
// and the package table against onnxruntime-node's own installer metadata.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ChecksumMismatch, downloadVerified, DownloadInterrupted } from '../../../models/gpuRuntime/download';
import { resolveNugetPackage } from '../../../models/gpuRuntime/nuget';
import { GPU_RUNTIME_PACKAGES } from '../../../models/gpuRuntime/packages';
import { extractZipMember, readZipDirectory } from '../../../models/formats/zip';
import { fakeGpuNupkg, startFakeNuget, type FakeNuget } from '../../fixtures/fakeNuget';

const ID = 'Microsoft.ML.OnnxRuntime.Gpu.Linux';
const LIBS = GPU_RUNTIME_PACKAGES['linux/x64']!.files.map((f) => f.name);
const nupkg = fakeGpuNupkg(LIBS);
const work = mkdtempSync(join(tmpdir(), 'sd-gpu-download-'));
const servers: FakeNuget[] = [];
/** No proxy from the machine's environment: the feed is on 127.0.0.1. */
const env = {};
after(() => Promise.all(servers.map((s) => s.close())));

async function feed(opts: { cuts?: number[]; publishedSha512?: string } = {}): Promise<FakeNuget> {
  const s = await startFakeNuget({ id: ID, version: '1.30.0', nupkg, ...opts });
  servers.push(s);
  return s;
}

async function specFor(s: FakeNuget, name: string) {
  const ref = await resolveNugetPackage(s.feed, ID, '1.30.0', undefined, env);
  return { url: ref.url, dest: join(work, name), size: ref.size, sha512: ref.sha512 };
}

test('the package is resolved from the feed: .nupkg URL, published SHA-512 and size (gzip registration leaf)', async () => {
  const s = await feed();
  const ref = await resolveNugetPackage(s.feed, ID, '1.30.0', undefined, env);
  assert.match(ref.url, /\/v3-flatcontainer\/microsoft\.ml\.onnxruntime\.gpu\.linux\/1\.30\.0\/microsoft\.ml\.onnxruntime\.gpu\.linux\.1\.30\.0\.nupkg$/);
  assert.equal(ref.size, nupkg.length);
  assert.equal(ref.sha512, createHash('sha512').update(nupkg).digest('base64'));
  await assert.rejects(resolveNugetPackage(s.feed, ID, '9.9.9', undefined, env), /9\.9\.9 is not on/);
});

test('bytes that do not match the published SHA-512 are refused and deleted', async () => {
  const s = await feed({ publishedSha512: createHash('sha512').update('something else').digest('base64') });
  const spec = await specFor(s, 'tampered.nupkg');
  await assert.rejects(downloadVerified(spec, { env }), (e: unknown) => e instanceof ChecksumMismatch && /SHA-512 mismatch/.test(e.message) && /deleted/.test(e.message));
  assert.ok(!existsSync(spec.dest) && !existsSync(`${spec.dest}.part`) && !existsSync(`${spec.dest}.part.json`), 'nothing left behind');
});

test('an interrupted download resumes where it stopped, in the next call', async () => {
  const cutAt = 100_000;
  const s = await feed({ cuts: [cutAt] });
  const spec = await specFor(s, 'resumed.nupkg');
  await assert.rejects(downloadVerified(spec, { retries: 0, env }), (e: unknown) => e instanceof DownloadInterrupted && /run the install again to resume/.test(e.message));
  assert.equal(statSync(`${spec.dest}.part`).size, cutAt, 'the part keeps what arrived');
  const seen: number[] = [];
  const r = await downloadVerified(spec, { env, onProgress: (done) => seen.push(done) });
  assert.deepEqual(s.packageRequests.map((q) => [q.range, q.status]), [[undefined, 200], [`bytes=${cutAt}-`, 206]]);
  assert.ok(s.packageRequests[1]!.ifRange, 'If-Range guards the resume');
  assert.equal(r.resumedFrom, cutAt);
  assert.equal(r.transferred, nupkg.length - cutAt, 'only the rest was transferred');
  assert.ok(seen[0]! > cutAt && seen.at(-1) === nupkg.length, 'progress counts from the part');
  assert.deepEqual(readFileSync(spec.dest), nupkg);
  assert.ok(!existsSync(`${spec.dest}.part`));
});

test('within one call, interruptions are continued by Range requests; a cancel keeps the part', async () => {
  const s = await feed({ cuts: [60_000, 70_000] });
  const spec = await specFor(s, 'retried.nupkg');
  const r = await downloadVerified(spec, { retries: 3, env });
  assert.equal(r.requests, 3);
  assert.deepEqual(s.packageRequests.map((q) => q.range), [undefined, 'bytes=60000-', 'bytes=130000-']);
  assert.deepEqual(readFileSync(spec.dest), nupkg);

  const c = await feed();
  const spec2 = await specFor(c, 'cancelled.nupkg');
  const ac = new AbortController();
  await assert.rejects(downloadVerified(spec2, { env, signal: ac.signal, onProgress: () => ac.abort() }), (e: unknown) => (e as Error).name === 'AbortError');
  const kept = statSync(`${spec2.dest}.part`).size;
  assert.ok(kept > 0 && kept < nupkg.length, `the part keeps ${kept} bytes`);
  await downloadVerified(spec2, { env });
  assert.equal(c.packageRequests[1]!.range, `bytes=${kept}-`);
  assert.deepEqual(readFileSync(spec2.dest), nupkg);
});

test('zip members are extracted by streaming inflate, CRC-32 checked', async () => {
  const path = join(work, 'pkg.zip');
  writeFileSync(path, nupkg);
  const fh = await open(path, 'r');
  try {
    const size = statSync(path).size;
    const entries = await readZipDirectory(fh, path, size);
    const lib = entries.find((e) => e.name.endsWith(LIBS[0]!))!;
    assert.equal(lib.method, 8);
    await extractZipMember(fh, path, lib, size, join(work, 'lib.so'));
    assert.equal(statSync(join(work, 'lib.so')).size, lib.size);
    await assert.rejects(extractZipMember(fh, path, { ...lib, crc32: lib.crc32 ^ 1 }, size, join(work, 'bad.so')), /CRC-32 mismatch/);
  } finally {
    await fh.close();
  }
});

test('the package table is what onnxruntime-node\'s own installer fetches for cuda12', () => {
  const req = createRequire(__filename);
  const meta = req(join(process.cwd(), 'node_modules/onnxruntime-node/script/install-metadata.js')) as {
    requirements: Record<string, string[]>;
    manifests: Record<string, Record<string, { package: string; path: string }>>;
    packages: Record<string, { name: string }>;
  };
  const theirs = Object.entries(meta.requirements).filter(([, names]) => names.includes('cuda12')).map(([platform]) => platform);
  assert.deepEqual(Object.keys(GPU_RUNTIME_PACKAGES).sort(), theirs.sort());
  for (const [platform, ours] of Object.entries(GPU_RUNTIME_PACKAGES)) {
    const manifest = meta.manifests[`${platform}:cuda12`]!;
    const files = Object.entries(manifest).map(([file, m]) => ({ member: m.path, name: file.replace(/^\.\//, '') }));
    assert.deepEqual(ours.files, files, platform);
    for (const m of Object.values(manifest)) assert.equal(meta.packages[m.package]?.name, ours.id);
  }
});
