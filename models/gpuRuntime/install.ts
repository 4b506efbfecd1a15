// Installing GPU support: resolve the provider package of the bundled onnxruntime-node version on NuGet, download
// it (resumable, SHA-512 checked), assemble a runtime copy in a staging folder (the bundled package's JS and this
// platform's binaries + the provider libraries from the package), mark it complete, swap it into place, and
// finally ask a child process whether the copy loads and whether the GPU provider starts on this machine.
import { copyFile, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { extractZipMember, readZipDirectory } from '../formats/zip';
import { downloadVerified, type DownloadResult } from './download';
import { bundledOnnxRuntime, gpuRuntimeDir, gpuRuntimeRoot, MARKER, NAPI_DIR, runtimeBinDir, runtimeModuleDir, type InstalledRuntime } from './layout';
import { resolveNugetPackage, type NugetPackageRef } from './nuget';
import { BUILT_IN_GPU, gpuRuntimePackage, NUGET_FEED } from './packages';
import { probeRuntime, type ProviderProbe } from './probe';

export type InstallStage = 'resolving' | 'downloading' | 'extracting' | 'checking';

export interface GpuInstallOptions {
  dataDir: string;
  /** NuGet v3 service index (a mirror); default nuget.org's. */
  feed?: string;
  signal?: AbortSignal;
  onProgress?: (stage: InstallStage, done: number, total: number, message: string) => void;
  /** Interruptions continued within this call (default 3). */
  retries?: number;
  env?: NodeJS.ProcessEnv;
}

export interface GpuInstallOutcome {
  runtimeDir: string;
  package: NugetPackageRef;
  download: DownloadResult;
  /** The provider libraries put beside libonnxruntime. */
  libraries: string[];
  /** The copy loaded on CPU (always true here: otherwise the install fails) and each GPU provider's start. */
  checks: ProviderProbe[];
}

/** Installing cannot happen (platform without a download, a copy that does not load, ...): the message says why. */
export class GpuInstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuInstallError';
  }
}

/** Every file under `dir` (relative, with `/`), recursively. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)).map((f) => `${e.name}/${f}`));
    else if (e.isFile()) out.push(e.name);
  }
  return out;
}

async function copyTree(from: string, to: string, keep: (rel: string) => boolean = () => true): Promise<void> {
  for (const rel of await listFiles(from)) {
    if (!keep(rel)) continue;
    await mkdir(dirname(join(to, rel)), { recursive: true });
    await copyFile(join(from, rel), join(to, rel));
  }
}

/** The folder of the onnxruntime-common package the bundled onnxruntime-node resolves. */
function commonPackageDir(ortDir: string): string {
  const main = require.resolve('onnxruntime-common', { paths: [ortDir] });
  return main.slice(0, main.lastIndexOf(`${sep}dist${sep}`));
}

/** The bundled onnxruntime-node as the .vsix ships it (package.json, dist/*.js, this platform's binaries). */
async function copyBundledRuntime(ortDir: string, staging: string): Promise<void> {
  const moduleDir = runtimeModuleDir(staging);
  const bin = `bin/${NAPI_DIR}/${process.platform}/${process.arch}/`;
  await copyTree(ortDir, moduleDir, (rel) => rel === 'package.json' || (rel.startsWith('dist/') && rel.endsWith('.js')) || rel.startsWith(bin));
  const common = commonPackageDir(ortDir);
  await copyTree(common, join(staging, 'node_modules', 'onnxruntime-common'), (rel) => rel === 'package.json' || rel.startsWith('dist/cjs/'));
}

async function extractLibraries(nupkg: string, members: Array<{ member: string; name: string }>, binDir: string, opts: GpuInstallOptions): Promise<void> {
  const fh = await open(nupkg, 'r');
  try {
    const size = (await fh.stat()).size;
    const entries = new Map((await readZipDirectory(fh, nupkg, size)).map((e) => [e.name, e]));
    for (const [i, m] of members.entries()) {
      const e = entries.get(m.member);
      if (!e) throw new GpuInstallError(`${nupkg}: has no ${m.member} (the package layout changed?)`);
      opts.onProgress?.('extracting', i, members.length, `extracting ${m.name}`);
      await extractZipMember(fh, nupkg, e, size, join(binDir, m.name), opts.signal);
    }
  } finally {
    await fh.close();
  }
}

export async function installGpuRuntime(opts: GpuInstallOptions): Promise<GpuInstallOutcome> {
  const pkg = gpuRuntimePackage();
  if (!pkg) throw new GpuInstallError(`no GPU runtime download exists for ${process.platform}-${process.arch}: ${BUILT_IN_GPU[process.platform] ?? 'only the CPU provider is available'}`);
  const bundled = bundledOnnxRuntime();
  const feed = opts.feed ?? NUGET_FEED;
  opts.onProgress?.('resolving', 0, 1, `looking up ${pkg.id} ${bundled.version}`);
  const ref = await resolveNugetPackage(feed, pkg.id, bundled.version, opts.signal, opts.env);

  const root = gpuRuntimeRoot(opts.dataDir);
  await mkdir(join(root, 'downloads'), { recursive: true });
  const nupkg = join(root, 'downloads', `${ref.id.toLowerCase()}.${ref.version}.nupkg`);
  const mb = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;
  const download = await downloadVerified(
    { url: ref.url, dest: nupkg, size: ref.size, sha512: ref.sha512 },
    {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
      onProgress: (done, total) => opts.onProgress?.('downloading', done, total, `downloading ${pkg.id} ${ref.version} · ${mb(done)}/${mb(total)}`),
    },
  );

  const dir = gpuRuntimeDir(opts.dataDir, bundled.version);
  const staging = `${dir}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    await copyBundledRuntime(bundled.dir, staging);
    const binDir = runtimeBinDir(staging);
    await extractLibraries(nupkg, pkg.files, binDir, opts);
    const files = await Promise.all((await listFiles(staging)).map(async (path) => ({ path, size: (await stat(join(staging, path))).size })));
    const installed: InstalledRuntime = {
      onnxruntimeVersion: bundled.version, platform: process.platform, arch: process.arch,
      package: { id: ref.id, version: ref.version, url: ref.url, sha512: ref.sha512 }, files, installedAt: new Date().toISOString(),
    };
    opts.onProgress?.('checking', 0, 1, 'checking that the runtime loads');
    const [cpu] = await probeRuntime(runtimeModuleDir(staging), ['cpu']);
    if (!cpu?.ok) throw new GpuInstallError(`the assembled runtime does not load on this machine: ${cpu?.message ?? 'no answer'}`);
    await writeFile(join(staging, MARKER), JSON.stringify(installed, null, 2));
    const old = `${dir}.old-${process.pid}`;
    await rename(dir, old).catch(() => undefined);
    await rename(staging, dir);
    await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
  await rm(nupkg, { force: true });
  opts.onProgress?.('checking', 0, 1, `starting ${pkg.providers[0]} in the new runtime`);
  const checks = [{ provider: 'cpu', ok: true, message: 'loads' }, ...(await probeRuntime(runtimeModuleDir(dir), pkg.providers.slice(0, 1)))];
  return { runtimeDir: dir, package: ref, download, libraries: pkg.files.map((f) => relative(dir, join(runtimeBinDir(dir), f.name)).split(sep).join('/')), checks };
}

/** Removes every GPU runtime copy and unfinished download under the data folder. */
export async function removeGpuRuntime(dataDir: string): Promise<{ removed: string[] }> {
  const root = gpuRuntimeRoot(dataDir);
  const names = await readdir(root).catch(() => [] as string[]);
  for (const n of names) await rm(join(root, n), { recursive: true, force: true });
  return { removed: names.map((n) => join(root, n)) };
}
