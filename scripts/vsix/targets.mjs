// The .vsix platforms: for each, which native binaries it must carry (onnxruntime-node's bin/napi-v6/<platform>/<arch>,
// sharp's @img/sharp-<target> and its libvips) and the vsce ignore list that keeps exactly those. vsce drops a file
// when an ignore pattern matches it and no "!" pattern does, whatever the order, so the re-includes are per target.
import { createRequire } from 'node:module';

/**
 * @typedef {object} Target
 * @property {string} os       npm's --os (process.platform)
 * @property {string} cpu      npm's --cpu (process.arch)
 * @property {string} [libc]   npm's --libc (musl targets)
 * @property {string | null} ort  onnxruntime-node's binary folder, null when it ships none
 * @property {string[]} [ortFiles]  globs inside it to ship (default: all)
 * @property {string[]} img    sharp's per-platform packages under @img/
 * @property {RegExp[]} required  native files the target cannot run without (paths in the extension folder)
 */

const ORT = (p) => `node_modules/onnxruntime-node/bin/napi-v6/${p}/`;

/** @type {Record<string, Target>} */
export const TARGETS = {
  'linux-x64': {
    os: 'linux', cpu: 'x64', ort: 'linux/x64', img: ['sharp-linux-x64', 'sharp-libvips-linux-x64'],
    required: [/onnxruntime_binding\.node$/, /\/libonnxruntime\.so\.1$/, /sharp-linux-x64[^/]*\.node$/, /libvips-cpp\.so/],
  },
  'linux-arm64': {
    os: 'linux', cpu: 'arm64', ort: 'linux/arm64', img: ['sharp-linux-arm64', 'sharp-libvips-linux-arm64'],
    required: [/onnxruntime_binding\.node$/, /\/libonnxruntime\.so\.1$/, /sharp-linux-arm64[^/]*\.node$/, /libvips-cpp\.so/],
  },
  'alpine-x64': {
    os: 'linux', cpu: 'x64', libc: 'musl', ort: 'linux/x64', img: ['sharp-linuxmusl-x64', 'sharp-libvips-linuxmusl-x64'],
    required: [/onnxruntime_binding\.node$/, /sharp-linuxmusl-x64[^/]*\.node$/, /libvips-cpp\.so/],
  },
  'alpine-arm64': {
    os: 'linux', cpu: 'arm64', libc: 'musl', ort: 'linux/arm64', img: ['sharp-linuxmusl-arm64', 'sharp-libvips-linuxmusl-arm64'],
    required: [/onnxruntime_binding\.node$/, /sharp-linuxmusl-arm64[^/]*\.node$/, /libvips-cpp\.so/],
  },
  'darwin-arm64': {
    os: 'darwin', cpu: 'arm64', ort: 'darwin/arm64', img: ['sharp-darwin-arm64', 'sharp-libvips-darwin-arm64'],
    // The binding links @rpath/libonnxruntime.1.dylib; libonnxruntime.1.30.0.dylib is a byte-identical copy (a
    // symlink in ONNX Runtime's build, flattened by npm): 44 MB left out.
    ortFiles: ['onnxruntime_binding.node', 'libonnxruntime.1.dylib'],
    required: [/onnxruntime_binding\.node$/, /\/libonnxruntime\.1\.dylib$/, /sharp-darwin-arm64[^/]*\.node$/, /libvips-cpp\.[\d.]*dylib$/],
  },
  'darwin-x64': { os: 'darwin', cpu: 'x64', ort: null, img: ['sharp-darwin-x64', 'sharp-libvips-darwin-x64'], required: [] },
  'win32-x64': {
    os: 'win32', cpu: 'x64', ort: 'win32/x64', img: ['sharp-win32-x64'],
    // DirectML.dll: the DirectML provider `auto` picks on Windows.
    required: [/onnxruntime_binding\.node$/, /\/onnxruntime\.dll$/, /\/directml\.dll$/i, /sharp-win32-x64[^/]*\.node$/, /libvips[^/]*\.dll$/],
  },
  'win32-arm64': {
    os: 'win32', cpu: 'arm64', ort: 'win32/arm64', img: ['sharp-win32-arm64'],
    required: [/onnxruntime_binding\.node$/, /\/onnxruntime\.dll$/, /\/directml\.dll$/i, /sharp-win32-arm64[^/]*\.node$/, /libvips[^/]*\.dll$/],
  },
};

/** What `npm run package` builds with no --target: the platforms people run VS Code on. */
export const DEFAULT_TARGETS = ['linux-x64', 'linux-arm64', 'win32-x64', 'darwin-arm64'];

/** @param {string} name */
export function target(name) {
  const t = TARGETS[name];
  if (!t) throw new Error(`unknown target "${name}"; one of: ${Object.keys(TARGETS).join(', ')}`);
  return t;
}

/** vsce ignore patterns for `name`: everything out, then the product and exactly this target's binaries back in. */
export function ignorePatterns(name) {
  const t = target(name);
  if (!t.ort) throw new Error(`onnxruntime-node ships no ${name} binary`);
  return [
    '**',
    '!package.json', '!README.md', '!LICENSE', '!language-configuration.json', '!syntaxes/**', '!media/**',
    '!dist/extension.js', '!dist/cli.js', '!dist/licenses/**', '!dist/webviews/*.js', '!dist/webviews/*.css', '!dist/webviews/**/*.{js,css,png,svg,ttf,woff2}',
    // onnxruntime-node: the JS, and this target's binaries only.
    '!node_modules/onnxruntime-node/package.json', '!node_modules/onnxruntime-node/dist/*.js', ...(t.ortFiles ?? ['**']).map((f) => `!${ORT(t.ort)}${f}`),
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
}

/** Native code: Node addons and shared libraries. */
export const isNative = (file) => /\.(node|dll|dylib)$|\.so(\.\d+)*$/i.test(file);

/**
 * Checks a package's file list (paths inside the extension folder, `/`-separated) against `name`: every native file
 * belongs to this target's onnxruntime or sharp folders, and each required one is there.
 * @param {string} name
 * @param {readonly string[]} files
 * @returns {{ natives: string[], problems: string[] }}
 */
export function checkContents(name, files) {
  const t = target(name);
  const own = [ORT(t.ort ?? '-'), ...t.img.map((p) => `node_modules/@img/${p}/`)];
  const natives = files.filter(isNative).sort();
  const problems = [];
  for (const f of natives) if (!own.some((p) => f.startsWith(p))) problems.push(`${f}: native code of another platform`);
  for (const r of t.required) if (!natives.some((f) => r.test(f))) problems.push(`no file matching ${r} (this platform cannot run without it)`);
  if (!files.includes('dist/cli.js') || !files.includes('dist/extension.js')) problems.push('dist/cli.js and dist/extension.js must be built first (npm run build)');
  return { natives, problems };
}

/**
 * vsce's file filter (@vscode/vsce out/package.js `collectFiles`), with its own minimatch: a pattern without a `*`
 * in its last segment also matches everything under it; a file is dropped when an ignore pattern matches it and
 * no `!` pattern does. `npm run package` compares this prediction with what vsce wrote (see package.mjs).
 * @param {readonly string[]} files  paths relative to the project, `/`-separated
 * @param {readonly string[]} patterns
 * @param {string} [root]  the project folder (whose node_modules has vsce)
 */
export function selectFiles(files, patterns, root = process.cwd()) {
  const vsceRequire = createRequire(createRequire(`${root}/package.json`).resolve('@vscode/vsce/package.json'));
  const { Minimatch } = vsceRequire('minimatch');
  const expanded = [...patterns, ...patterns.filter((i) => !/(^|\/)[^/]*\*[^/]*$/.test(i)).map((i) => (/\/$/.test(i) ? `${i}**` : `${i}/**`)), '!package.json', '!README.md'];
  const matcher = (p) => new Minimatch(p, { dot: true });
  const ignore = expanded.filter((p) => !p.startsWith('!')).map(matcher);
  const negate = expanded.filter((p) => p.startsWith('!')).map((p) => matcher(p.slice(1)));
  return files.filter((f) => !ignore.some((m) => m.match(f)) || negate.some((m) => m.match(f)));
}
