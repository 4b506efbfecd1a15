// GPU support end to end through the CLI and the built daemon, against a NuGet feed on 127.0.0.1 serving a test
// package (placeholder provider libraries: the CPU runtime copy loads, CUDA cannot start, which is what a machine
// without an NVIDIA GPU says too). No network.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { GpuInstallResult, GpuStatusResult } from '../../daemon/protocol';
import { GPU_RUNTIME_PACKAGES } from '../../models/gpuRuntime/packages';
import { fakeGpuNupkg, startConnectProxy, startFakeNuget, TEST_TLS, type FakeNuget } from '../fixtures/fakeNuget';
import { CLI, tempDir } from './harness';

const pkg = GPU_RUNTIME_PACKAGES[`${process.platform}/${process.arch}`];
const version = (JSON.parse(readFileSync('node_modules/onnxruntime-node/package.json', 'utf8')) as { version: string }).version;

/** No proxy from the machine's environment reaches these tests: each says which it uses. */
const NO_PROXIES = { HTTP_PROXY: '', HTTPS_PROXY: '', http_proxy: '', https_proxy: '', NO_PROXY: '', no_proxy: '' };

/** The CLI as a child process, without blocking this process (it serves the feed). */
function cli(args: string[], dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...NO_PROXIES, SD_STUDIO_DATA_DIR: dataDir, SD_STUDIO_GPU_RUNTIME: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('GPU support: sd-studio gpu install / status', { skip: !pkg && `no GPU runtime download for ${process.platform}-${process.arch}` }, () => {
  const nupkg = fakeGpuNupkg(pkg?.files.map((f) => f.name) ?? []);
  const feeds: FakeNuget[] = [];
  after(() => Promise.all(feeds.map((f) => f.close())));
  const feed = async (opts: { cuts?: number[]; publishedSha512?: string; tls?: boolean } = {}): Promise<FakeNuget> => {
    const f = await startFakeNuget({ id: pkg!.id, version, nupkg, ...opts });
    feeds.push(f);
    return f;
  };

  it('refuses a package whose bytes do not match the published SHA-512, and installs nothing', async () => {
    const dataDir = tempDir();
    const f = await feed({ publishedSha512: Buffer.alloc(64, 7).toString('base64') });
    const r = await cli(['gpu', 'install', '--feed', f.feed], dataDir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /SHA-512 mismatch.*nothing was installed/);
    assert.ok(!existsSync(join(dataDir, 'gpu-runtime', `onnxruntime-${version}-${process.platform}-${process.arch}`)));
    const s = JSON.parse((await cli(['gpu', 'status', '--json'], dataDir)).stdout) as GpuStatusResult;
    assert.equal(s.runtime, 'bundled');
    assert.equal(s.installed, null);
  });

  it('resumes an interrupted download in the next run (HTTPS through a CONNECT proxy), installs beside libonnxruntime, and the next daemon loads it', async () => {
    const dataDir = tempDir();
    // The first run's four attempts (one request and three in-call retries) all break.
    const f = await feed({ cuts: [150_000, 10, 10, 10], tls: true });
    const proxy = await startConnectProxy();
    after(() => proxy.close());
    const viaProxy = { HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: TEST_TLS.cert };
    const first = await cli(['gpu', 'install', '--feed', f.feed], dataDir, viaProxy);
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stderr, /interrupted at 0\.2 MB .*run the install again to resume/);
    const ranges = f.packageRequests.map((q) => q.range);
    assert.equal(ranges.length, 4);
    assert.equal(ranges[0], undefined);
    assert.equal(ranges[1], 'bytes=150000-', 'the first retry continues after the bytes that arrived');
    const part = join(dataDir, 'gpu-runtime', 'downloads', `${pkg!.id.toLowerCase()}.${version}.nupkg.part`);
    const kept = statSync(part).size;
    assert.ok(kept >= 150_000 && kept < nupkg.length, `${kept} bytes kept`);
    const second = await cli(['gpu', 'install', '--feed', f.feed, '--json'], dataDir, viaProxy);
    assert.equal(second.code, 0, second.stderr);
    const r = JSON.parse(second.stdout) as GpuInstallResult;
    assert.equal(f.packageRequests[4]?.range, `bytes=${kept}-`, 'the next run resumes from the part');
    assert.equal(f.packageRequests[4]?.status, 206);
    assert.equal(r.resumedFrom, kept);
    assert.equal(r.transferred, nupkg.length - kept, 'only the rest was downloaded');
    assert.ok(proxy.tunnels.length === f.packageRequests.length + 6 && proxy.tunnels.every((t) => t === new URL(f.feed).host), `every request went through the proxy's tunnel: ${proxy.tunnels.join(', ')}`);
    const bin = join(r.runtimeDir, 'node_modules/onnxruntime-node/bin/napi-v6', process.platform, process.arch);
    for (const lib of pkg!.files) assert.ok(existsSync(join(bin, lib.name)), lib.name);
    assert.ok(existsSync(join(bin, 'onnxruntime_binding.node')), 'the binding sits beside the provider libraries');
    assert.deepEqual(r.checks[0], { provider: 'cpu', ok: true, message: 'loads' });
    const cuda = r.checks.find((c) => c.provider === 'cuda');
    assert.ok(cuda && !cuda.ok, `CUDA cannot start with placeholder libraries: ${JSON.stringify(cuda)}`);
    // The loader's own reason, naming the library, reaches the user (not just "Failed to load shared library").
    assert.match(cuda.message, /Failed to load shared library: .*libonnxruntime_providers_shared\.so/);
    assert.equal(r.restartNeeded, true);

    const s = JSON.parse((await cli(['gpu', 'status', '--json'], dataDir)).stdout) as GpuStatusResult;
    assert.equal(s.runtime, 'gpu-runtime', JSON.stringify(s));
    assert.equal(s.runtimeDir, join(r.runtimeDir, 'node_modules', 'onnxruntime-node'));
    assert.ok(s.providers.includes('cuda'));
    assert.deepEqual(s.autoProviders, ['cuda']);
    assert.equal(s.installed?.version, version);

    const removed = await cli(['gpu', 'remove'], dataDir);
    assert.equal(removed.code, 0, removed.stderr);
    assert.ok(!existsSync(r.runtimeDir));
  });
});
