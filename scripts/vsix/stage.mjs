// Another platform's sharp binaries for packaging: `npm install --os --cpu [--libc] sharp@<our version>` into a
// staging folder (its own node_modules, never the project's lockfile), then, for the time vsce runs, each needed
// @img package is copied into node_modules/@img/ with a marker file, and removed afterwards. The lockfile lists every
// @img package as an optional dependency of sharp, so `npm list` (which vsce runs) accepts them. Packages the
// project already has (the host platform's) are used as they are. onnxruntime-node needs nothing: its npm
// package carries every platform's binaries.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ignorePatterns, target } from './targets.mjs';

/** Written into every package copied in for packaging: what `unstage` (and a later run after a crash) removes. */
export const STAGED_MARKER = '.sd-studio-staged';

/** @param {string} root  the project folder */
export function sharpVersion(root) {
  return JSON.parse(readFileSync(join(root, 'node_modules', 'sharp', 'package.json'), 'utf8')).version;
}

/** The @img packages of `name` the project's node_modules lacks (or holds only as an earlier staged copy). */
export function missingImg(root, name) {
  return target(name).img.filter((p) => {
    const dir = join(root, 'node_modules', '@img', p);
    return !existsSync(join(dir, 'package.json')) || existsSync(join(dir, STAGED_MARKER));
  });
}

/**
 * Installs sharp for `name` into `<staging>/<name>/` unless that folder already holds the packages (a reused or
 * prepared staging folder). Returns the folder whose node_modules/@img/ holds them.
 * @param {{ root: string, staging: string, name: string, log?: (line: string) => void }} o
 */
export function stageSharp({ root, staging, name, log = console.log }) {
  const t = target(name);
  const dir = join(staging, name);
  const need = missingImg(root, name);
  if (need.every((p) => existsSync(join(dir, 'node_modules', '@img', p, 'package.json')))) return dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `sd-studio-staging-${name}`, private: true }));
  const version = sharpVersion(root);
  const args = ['install', `sharp@${version}`, `--os=${t.os}`, `--cpu=${t.cpu}`, ...(t.libc ? [`--libc=${t.libc}`] : []),
    '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--omit=dev', '--loglevel=error'];
  log(`staging: npm ${args.join(' ')} (in ${dir})`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, args, { cwd: dir, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) throw new Error(`npm install of sharp ${version} for ${name} failed (exit ${r.status}); the npm registry must be reachable`);
  const still = need.filter((p) => !existsSync(join(dir, 'node_modules', '@img', p, 'package.json')));
  if (still.length) throw new Error(`npm installed sharp for ${name} without ${still.join(', ')}`);
  return dir;
}

/** Removes staged copies left in node_modules/@img (by this run, or by one that crashed). */
export function unstage(root) {
  const img = join(root, 'node_modules', '@img');
  if (!existsSync(img)) return [];
  const removed = [];
  for (const p of readdirSync(img)) {
    if (existsSync(join(img, p, STAGED_MARKER))) {
      rmSync(join(img, p), { recursive: true, force: true });
      removed.push(p);
    }
  }
  return removed;
}

/**
 * Copies `name`'s missing @img packages from the staged folder into node_modules/@img, marked; returns their names.
 * @param {{ root: string, stagedDir: string, name: string }} o
 */
export function stageInto({ root, stagedDir, name }) {
  const copied = [];
  for (const p of missingImg(root, name)) {
    const to = join(root, 'node_modules', '@img', p);
    rmSync(to, { recursive: true, force: true });
    cpSync(join(stagedDir, 'node_modules', '@img', p), to, { recursive: true });
    writeFileSync(join(to, STAGED_MARKER), 'copied in by scripts/package.mjs for packaging; removed afterwards\n');
    copied.push(p);
  }
  return copied;
}

/**
 * vsce's `npm list --production` fails on a peer dependency we do not install on purpose (@upscalerjs/esrgan-slim's
 * @tensorflow/tfjs, 270 MB: we read the package's weight files only). For the time of packaging, an empty
 * stand-in package is put in its place (never packaged: the ignore list) and removed afterwards.
 * @returns {() => void} removes the stand-ins
 */
export function peerStandIns(root) {
  const made = [];
  const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
  for (const dep of Object.keys(readJson(join(root, 'package.json')).dependencies ?? {})) {
    const peers = readJson(join(root, 'node_modules', dep, 'package.json')).peerDependencies ?? {};
    for (const [peer, range] of Object.entries(peers)) {
      const dir = join(root, 'node_modules', peer);
      if (existsSync(dir)) continue;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: peer, version: String(range).replace(/^[^\d]*/, ''), private: true, description: 'stand-in written by scripts/package.mjs' }));
      made.push(dir);
    }
  }
  return () => {
    for (const d of made) {
      rmSync(d, { recursive: true, force: true });
      const scope = join(d, '..');
      if (scope.split(/[\\/]/).pop()?.startsWith('@') && readdirSync(scope).length === 0) rmSync(scope, { recursive: true, force: true });
    }
  };
}

/**
 * Runs `fn` with the project folder arranged for packaging `name`: this target's @img packages in node_modules
 * (staged ones copied in), the peer stand-ins, and the target's ignore file (passed to `fn`). Restores the folder
 * afterwards, also when `fn` throws.
 * @template T
 * @param {{ root: string, staging: string, name: string, log?: (line: string) => void }} o
 * @param {(ignoreFile: string) => Promise<T> | T} fn
 * @returns {Promise<T>}
 */
export async function withTargetTree({ root, staging, name, log }, fn) {
  unstage(root);
  mkdirSync(staging, { recursive: true });
  if (missingImg(root, name).length) stageInto({ root, stagedDir: stageSharp({ root, staging, name, ...(log ? { log } : {}) }), name });
  const removeStandIns = peerStandIns(root);
  const ignoreFile = join(staging, `vscodeignore-${name}`);
  writeFileSync(ignoreFile, `${ignorePatterns(name).join('\n')}\n`);
  try {
    return await fn(ignoreFile);
  } finally {
    removeStandIns();
    unstage(root);
  }
}

/** Folders the .vsix draws from (the product files and the runtime packages): what selectFiles is given. */
const SHIPPED_FROM = ['package.json', 'README.md', 'LICENSE', 'language-configuration.json', 'syntaxes', 'media', 'dist',
  'node_modules/onnxruntime-node', 'node_modules/onnxruntime-common', 'node_modules/sharp', 'node_modules/@img', 'node_modules/detect-libc',
  'node_modules/semver', 'node_modules/@upscalerjs/esrgan-slim', 'node_modules/@vscode/codicons'];

/** Every file under those folders (relative, `/`-separated), for selectFiles. */
export function candidateFiles(root) {
  const out = [];
  const walk = (rel) => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    if (!statSync(abs).isDirectory()) {
      out.push(rel);
      return;
    }
    for (const e of readdirSync(abs)) walk(`${rel}/${e}`);
  };
  for (const r of SHIPPED_FROM) walk(r);
  return out;
}
