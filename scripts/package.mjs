// `npm run package [-- --target linux-x64] [--out FILE]`: a platform-specific .vsix with only that target's
// native binaries (onnxruntime-node's bin/napi-v6/<platform>/<arch>, sharp's @img/sharp-<target> packages).
// vsce excludes a file when an ignore pattern matches it and no "!" pattern does, whatever the order, so the
// re-includes are written per target into a temporary ignore file (.vscodeignore is the linux-x64 one).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const hostTarget = `${process.platform}-${process.arch}`;
const target = opt('target') ?? hostTarget;
const TARGETS = {
  'linux-x64': { ort: 'linux/x64', img: ['sharp-linux-x64', 'sharp-libvips-linux-x64'] },
  'linux-arm64': { ort: 'linux/arm64', img: ['sharp-linux-arm64', 'sharp-libvips-linux-arm64'] },
  'alpine-x64': { ort: 'linux/x64', img: ['sharp-linuxmusl-x64', 'sharp-libvips-linuxmusl-x64'] },
  'alpine-arm64': { ort: 'linux/arm64', img: ['sharp-linuxmusl-arm64', 'sharp-libvips-linuxmusl-arm64'] },
  'darwin-arm64': { ort: 'darwin/arm64', img: ['sharp-darwin-arm64', 'sharp-libvips-darwin-arm64'] },
  'darwin-x64': { ort: null, img: ['sharp-darwin-x64', 'sharp-libvips-darwin-x64'] },
  'win32-x64': { ort: 'win32/x64', img: ['sharp-win32-x64'] },
  'win32-arm64': { ort: 'win32/arm64', img: ['sharp-win32-arm64'] },
};
const t = TARGETS[target];
if (!t) fail(`unknown target "${target}"; one of: ${Object.keys(TARGETS).join(', ')}`);
if (!t.ort) fail(`onnxruntime-node ${readJson('node_modules/onnxruntime-node/package.json').version} ships no ${target} binary`);

const ortDir = `node_modules/onnxruntime-node/bin/napi-v6/${t.ort}`;
const missing = [ortDir, ...t.img.map((p) => `node_modules/@img/${p}`), 'dist/extension.js', 'dist/cli.js'].filter((p) => !existsSync(p));
if (missing.length) {
  const [os, cpu] = target.replace('alpine', 'linux').split('-');
  fail(`missing for ${target}: ${missing.join(', ')}\n` +
    (missing.some((m) => m.includes('@img/')) ? `  install sharp's binaries for it: npm install --no-save --os=${os} --cpu=${cpu}${target.startsWith('alpine') ? ' --libc=musl' : ''} sharp\n` : '') +
    (missing.some((m) => m.startsWith('dist/')) ? '  build first: npm run build\n' : ''));
}

const ignore = [
  '**',
  '!package.json', '!README.md', '!LICENSE', '!language-configuration.json', '!syntaxes/**', '!media/**',
  '!dist/extension.js', '!dist/cli.js', '!dist/licenses/**', '!dist/webviews/*.js', '!dist/webviews/*.css', '!dist/webviews/**/*.{js,css,png,svg,ttf,woff2}',
  // onnxruntime-node: the JS, and this target's binaries only.
  '!node_modules/onnxruntime-node/package.json', '!node_modules/onnxruntime-node/dist/*.js', `!${ortDir}/**`,
  '!node_modules/onnxruntime-common/package.json', '!node_modules/onnxruntime-common/dist/cjs/**',
  // sharp and its runtime dependencies, and this target's @img packages.
  '!node_modules/sharp/package.json', '!node_modules/sharp/dist/*.cjs', '!node_modules/sharp/lib/**', '!node_modules/sharp/LICENSE',
  '!node_modules/@img/colour/**', ...t.img.map((p) => `!node_modules/@img/${p}/**`),
  '!node_modules/detect-libc/**', '!node_modules/semver/**',
  // The built-in upscaler's weights (daemon/upscalerRegistry.ts).
  '!node_modules/@upscalerjs/esrgan-slim/package.json', '!node_modules/@upscalerjs/esrgan-slim/models/**',
  // The codicon font for the panels' buttons (extension/panels/webviewHost.ts serves it through asWebviewUri).
  '!node_modules/@vscode/codicons/{package.json,LICENSE,LICENSE-CODE,dist/codicon.css,dist/codicon.ttf}',
];
const dir = mkdtempSync(join(tmpdir(), 'sd-studio-vsix-'));
const ignoreFile = join(dir, 'vscodeignore');
writeFileSync(ignoreFile, ignore.join('\n') + '\n');

const pkg = readJson('package.json');
const standIns = peerStandIns();
const out = resolve(opt('out') ?? `sd-studio-${target}-${pkg.version}.vsix`);
const vsce = resolve('node_modules', '@vscode', 'vsce', 'vsce');
const r = spawnSync(process.execPath, [vsce, 'package', '--target', target, '--ignoreFile', ignoreFile, '--follow-symlinks', '--allow-missing-repository', '--skip-license', '--out', out], { stdio: 'inherit' });
rmSync(dir, { recursive: true, force: true });
for (const d of standIns) {
  rmSync(d, { recursive: true, force: true });
  const scope = dirname(d);
  if (basename(scope).startsWith('@') && readdirSync(scope).length === 0) rmSync(scope, { recursive: true, force: true });
}
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(`packaged ${out} for ${target}`);

function readJson(p) {
  return JSON.parse(readFileSync(p, 'utf8'));
}
function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

/**
 * vsce's `npm list --production` fails on a peer dependency we do not install on purpose (@upscalerjs/esrgan-slim's
 * @tensorflow/tfjs, 270 MB: we read the package's weight files only). For the time of packaging, an empty
 * stand-in package is put in its place (never packaged: .vscodeignore) and removed afterwards.
 */
function peerStandIns() {
  const made = [];
  for (const dep of Object.keys(readJson('package.json').dependencies ?? {})) {
    const peers = readJson(join('node_modules', dep, 'package.json')).peerDependencies ?? {};
    for (const [peer, range] of Object.entries(peers)) {
      const dir = join('node_modules', peer);
      if (existsSync(dir)) continue;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: peer, version: String(range).replace(/^[^\d]*/, ''), private: true, description: 'stand-in written by scripts/package.mjs' }));
      made.push(resolve(dir));
    }
  }
  return made;
}
