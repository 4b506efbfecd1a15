// `npm run package [-- --target T [--target T2 ...]] [--out FILE.vsix | DIR] [--staging DIR]`
// Platform-specific .vsix files, by default for linux-x64, linux-arm64, win32-x64 and darwin-arm64 in one go
// (`--out FILE.vsix` alone: this machine's platform only, as the e2e test installs it). Each
// carries only its platform's native binaries: onnxruntime-node's bin/napi-v6/<platform>/<arch> (the npm package
// has them all) and sharp's @img packages, which for other platforms than this one are installed with
// `npm install --os --cpu` into a staging folder (scripts/vsix/stage.mjs; needs the npm registry). Every .vsix is
// opened afterwards and its native files checked against its platform (scripts/vsix/targets.mjs); a wrong one fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { candidateFiles, withTargetTree } from './vsix/stage.mjs';
import { checkContents, DEFAULT_TARGETS, ignorePatterns, isNative, selectFiles, target } from './vsix/targets.mjs';

const root = resolve('.');
const args = process.argv.slice(2);
const all = (name) => args.flatMap((a, i) => (a === `--${name}` && args[i + 1] !== undefined ? [args[i + 1]] : []));
const fail = (message) => {
  console.error(`package: ${message}`);
  process.exit(1);
};

const out = all('out')[0];
const names = all('target').length ? all('target') : out?.endsWith('.vsix') ? [`${process.platform}-${process.arch}`] : DEFAULT_TARGETS;
for (const n of names) {
  try {
    if (!target(n).ort) throw new Error(`onnxruntime-node ships no ${n} binary`);
  } catch (e) {
    fail(e.message);
  }
}
if (out?.endsWith('.vsix') && names.length > 1) fail('--out FILE.vsix takes one --target; give a folder for several');
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const fileFor = (n) => (out?.endsWith('.vsix') ? resolve(out) : join(resolve(out ?? '.'), `sd-studio-${n}-${version}.vsix`));
const staging = all('staging')[0] ? resolve(all('staging')[0]) : mkdtempSync(join(tmpdir(), 'sd-studio-staging-'));
const vsce = resolve('node_modules', '@vscode', 'vsce', 'vsce');
const { readZip } = createRequire(import.meta.url)('@vscode/vsce/out/zip.js');

/** The file names inside a .vsix, relative to its extension/ folder (vsce's reader gives them lower-cased). */
async function vsixFiles(file) {
  const names = [];
  await readZip(file, (n) => {
    names.push(n);
    return false;
  });
  return names.filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));
}

const summary = [];
try {
  for (const n of names) {
    const file = fileFor(n);
    const predicted = await withTargetTree({ root, staging, name: n }, (ignoreFile) => {
      const r = spawnSync(process.execPath, [vsce, 'package', '--target', n, '--ignoreFile', ignoreFile, '--follow-symlinks', '--allow-missing-repository', '--skip-license', '--out', file], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`vsce failed for ${n} (exit ${r.status})`);
      return selectFiles(candidateFiles(root), ignorePatterns(n));
    });
    const files = await vsixFiles(file);
    const { natives, problems } = checkContents(n, files);
    // The offline test predicts the contents with selectFiles: keep that prediction honest against vsce's result.
    const expected = predicted.filter(isNative).map((f) => f.toLowerCase()).sort();
    if (expected.join('\n') !== natives.join('\n')) problems.push(`vsce packaged native files [${natives.join(', ')}], scripts/vsix/targets.mjs selectFiles predicted [${expected.join(', ')}]`);
    if (problems.length) fail(`${file} is wrong for ${n}:\n  ${problems.join('\n  ')}`);
    summary.push({ n, file, bytes: statSync(file).size, files: files.length, natives });
  }
} catch (e) {
  fail(e.message);
} finally {
  if (!all('staging')[0]) rmSync(staging, { recursive: true, force: true });
}
for (const s of summary) {
  console.log(`packaged ${s.file} for ${s.n}: ${(s.bytes / 1e6).toFixed(1)} MB, ${s.files} files; native: ${s.natives.join(', ')}`);
}
