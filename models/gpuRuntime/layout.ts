// Where the GPU runtime lives and how to tell a complete one. It is a private copy of onnxruntime-node (its JS,
// this platform's binding and libonnxruntime, and onnxruntime-common) plus the provider libraries from NuGet, in
//   <user data dir>/gpu-runtime/onnxruntime-<version>-<platform>-<arch>/node_modules/onnxruntime-node/…
// because ONNX Runtime looks for provider libraries beside its own shared library, and the extension's folder is
// not ours to write (it is replaced on every update). `installed.json`, written last, marks a finished install.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** onnxruntime-node's binary folder name (its dist/binding.js requires `../bin/napi-v6/<platform>/<arch>/`). */
export const NAPI_DIR = 'napi-v6';
export const MARKER = 'installed.json';

/** What `installed.json` records. */
export interface InstalledRuntime {
  onnxruntimeVersion: string;
  platform: string;
  arch: string;
  package: { id: string; version: string; url: string; sha512: string };
  /** Every file of the copy (relative to the runtime folder, `/`-separated) and its size. */
  files: Array<{ path: string; size: number }>;
  installedAt: string;
}

/**
 * The user data folder: SD_STUDIO_DATA_DIR (the extension sets it to its global storage), else the platform's
 * per-user data folder.
 */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): string {
  if (env.SD_STUDIO_DATA_DIR) return env.SD_STUDIO_DATA_DIR;
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local'), 'sd-studio');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'sd-studio');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'sd-studio');
}

/** The onnxruntime-node package this program ships with: its folder and version. */
export function bundledOnnxRuntime(): { dir: string; version: string } {
  const pkg = require.resolve('onnxruntime-node/package.json');
  return { dir: dirname(pkg), version: (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version };
}

export function gpuRuntimeRoot(dataDir: string): string {
  return join(dataDir, 'gpu-runtime');
}

export function gpuRuntimeDir(dataDir: string, version: string, platform: string = process.platform, arch: string = process.arch): string {
  return join(gpuRuntimeRoot(dataDir), `onnxruntime-${version}-${platform}-${arch}`);
}

/** The copy's onnxruntime-node package folder (what `require` loads). */
export function runtimeModuleDir(runtimeDir: string): string {
  return join(runtimeDir, 'node_modules', 'onnxruntime-node');
}

/** The copy's native folder: binding, libonnxruntime and the provider libraries side by side. */
export function runtimeBinDir(runtimeDir: string, platform: string = process.platform, arch: string = process.arch): string {
  return join(runtimeModuleDir(runtimeDir), 'bin', NAPI_DIR, platform, arch);
}

export type RuntimeCheck = { ok: true; dir: string; installed: InstalledRuntime } | { ok: false; dir: string; problem: string };

/**
 * The GPU runtime for this onnxruntime-node version and platform: undefined when none was installed; otherwise
 * whether it is complete (marker of the same version, every recorded file there with its size).
 */
export function checkGpuRuntime(dataDir: string, version: string, platform: string = process.platform, arch: string = process.arch): RuntimeCheck | undefined {
  const dir = gpuRuntimeDir(dataDir, version, platform, arch);
  const markerPath = join(dir, MARKER);
  if (!existsSync(markerPath)) return undefined;
  let installed: InstalledRuntime;
  try {
    installed = JSON.parse(readFileSync(markerPath, 'utf8')) as InstalledRuntime;
  } catch (e) {
    return { ok: false, dir, problem: `${markerPath}: unreadable (${(e as Error).message})` };
  }
  if (installed.onnxruntimeVersion !== version || installed.platform !== platform || installed.arch !== arch) {
    return { ok: false, dir, problem: `${markerPath}: made for onnxruntime ${installed.onnxruntimeVersion} ${installed.platform}-${installed.arch}, this is ${version} ${platform}-${arch}` };
  }
  for (const f of installed.files ?? []) {
    const size = statSync(join(dir, f.path), { throwIfNoEntry: false })?.size;
    if (size !== f.size) return { ok: false, dir, problem: `${join(dir, f.path)}: ${size === undefined ? 'missing' : `${size} bytes, ${f.size} expected`}; reinstall GPU support` };
  }
  return { ok: true, dir, installed };
}
