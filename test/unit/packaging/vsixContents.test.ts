// What `npm run package` puts into each platform's .vsix, checked offline: vsce's filter rule with vsce's own minimatch
// (scripts/vsix/targets.mjs selectFiles; every real `npm run package` checks that prediction against the .vsix vsce
// wrote) over this project, arranged per target by the packaging code (scripts/vsix/stage.mjs). STUBBED: the npm download of other platforms' sharp packages — the staging folder is
// pre-filled with @img/sharp-<target> and @img/sharp-libvips-<target> packages holding placeholder files at the
// real packages' paths, so no `npm install` runs. onnxruntime-node's binaries are the real ones (its npm package
// carries every platform's).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { candidateFiles, STAGED_MARKER, withTargetTree } from '../../../scripts/vsix/stage.mjs';
import { checkContents, DEFAULT_TARGETS, ignorePatterns, selectFiles, TARGETS } from '../../../scripts/vsix/targets.mjs';

const root = process.cwd();
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { version: string }> };

/** Placeholder files where the real @img package keeps its natives (sharp 0.35 / libvips 8.18 layout). */
function stubImg(dir: string, pkg: string): void {
  const at = join(dir, 'node_modules', '@img', pkg);
  mkdirSync(join(at, 'lib'), { recursive: true });
  writeFileSync(join(at, 'package.json'), JSON.stringify({ name: `@img/${pkg}`, version: lock.packages[`node_modules/@img/${pkg}`]!.version }));
  const plat = pkg.replace(/^sharp-(libvips-)?/, '');
  const files = pkg.startsWith('sharp-libvips-')
    ? [plat.startsWith('darwin') ? 'libvips-cpp.8.18.7.dylib' : 'libvips-cpp.so.8.18.7']
    : [`sharp-${plat}-0.35.5.node`, ...(plat.startsWith('win32') ? ['libvips-cpp-8.18.7.dll', 'libvips-42.dll'] : [])];
  for (const f of files) writeFileSync(join(at, 'lib', f), 'placeholder');
}

test('each default .vsix target carries exactly its own native binaries (stubbed sharp staging)', async () => {
  const staging = mkdtempSync(join(tmpdir(), 'sd-vsix-staging-'));
  const hostImg = readdirSync(join(root, 'node_modules', '@img')).sort();
  for (const name of DEFAULT_TARGETS) for (const pkg of TARGETS[name]!.img) stubImg(join(staging, name), pkg);
  for (const name of DEFAULT_TARGETS) {
    const t = TARGETS[name]!;
    const files = await withTargetTree({ root, staging, name, log: () => undefined }, (ignoreFile) => {
      assert.deepEqual(readFileSync(ignoreFile, 'utf8').trim().split('\n'), ignorePatterns(name));
      return selectFiles(candidateFiles(root), ignorePatterns(name));
    });
    const { natives, problems } = checkContents(name, files);
    assert.deepEqual(problems, [], name);
    const ortDir = `node_modules/onnxruntime-node/bin/napi-v6/${t.ort}`;
    const ortShipped = readdirSync(join(root, ortDir)).filter((f) => !t.ortFiles || t.ortFiles.includes(f)).map((f) => `${ortDir}/${f}`);
    assert.deepEqual(natives.filter((f) => f.startsWith(ortDir)), ortShipped.sort(), `${name}: onnxruntime binaries`);
    for (const pkg of t.img) assert.ok(natives.some((f) => f.startsWith(`node_modules/@img/${pkg}/lib/`)), `${name}: ${pkg}`);
    assert.ok(!files.some((f) => f.includes('@tensorflow/')), `${name}: the peer stand-in is never packaged`);
    if (name === 'win32-x64') assert.ok(natives.some((f) => /DirectML\.dll$/.test(f)), 'DirectML ships for Windows');
  }
  assert.deepEqual(readdirSync(join(root, 'node_modules', '@img')).sort(), hostImg, 'node_modules/@img is as it was');
  assert.ok(!existsSync(join(root, 'node_modules', '@tensorflow')), 'stand-ins removed');
  assert.ok(!hostImg.some((p) => existsSync(join(root, 'node_modules', '@img', p, STAGED_MARKER))));
});

test('the checker refuses another platform\'s binary and a missing one; .vscodeignore is the linux-x64 list', () => {
  const base = ['dist/cli.js', 'dist/extension.js', 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node', 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1', 'node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64-0.35.5.node', 'node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.18.7'];
  assert.deepEqual(checkContents('linux-x64', base).problems, []);
  assert.match(checkContents('linux-x64', [...base, 'node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime.dll']).problems.join('\n'), /win32\/x64\/onnxruntime\.dll: native code of another platform/);
  assert.match(checkContents('linux-x64', base.filter((f) => !f.includes('libvips'))).problems.join('\n'), /libvips-cpp/);
  const vscodeignore = readFileSync('.vscodeignore', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(vscodeignore, ignorePatterns('linux-x64'));
});
