// One build script, several bundles (STYLE.md): extension (vscode external), daemon + CLI (native addons
// external), one bundle per webview, and — on request — tests and benchmarks.
// Usage: node esbuild.mjs [--tests | --tests-out=DIR] [--bench] [--watch]
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const args = new Set(process.argv.slice(2));
const nativeExternal = ['onnxruntime-node', 'sharp', 'vscode'];

/** Every file under `dir` whose name ends with `suffix`. */
function findFiles(dir, suffix) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findFiles(path, suffix));
    else if (name.endsWith(suffix)) out.push(path);
  }
  return out;
}

// `.gz`: data embedded as bytes (the CLIP tokenizer, models/bundledTokenizer.ts).
const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'linked', logLevel: 'warning', external: nativeExternal, loader: { '.gz': 'binary' } };

const builds = [
  { ...node, entryPoints: ['daemon/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];
if (existsSync('extension/main.ts')) builds.push({ ...node, entryPoints: ['extension/main.ts'], outfile: 'dist/extension.js' });

const webviewEntries = findFiles('webviews', 'main.ts');
if (webviewEntries.length) {
  builds.push({
    bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: 'linked', logLevel: 'warning',
    entryPoints: Object.fromEntries(webviewEntries.map((f) => [relative('webviews', f).replace(/\/main\.ts$/, ''), f])),
    outdir: 'dist/webviews',
  });
}
const testsOut = process.argv.find((a) => a.startsWith('--tests-out='))?.slice('--tests-out='.length);
if (args.has('--tests') || testsOut) {
  const tests = findFiles('test', '.test.ts');
  // typescript (the boundary test parses the sources with it) stays a devDependency loaded from node_modules.
  builds.push({ ...node, external: [...nativeExternal, 'typescript'], entryPoints: tests, outdir: testsOut ?? 'out/test', outbase: 'test' });
}
if (args.has('--bench') && existsSync('test/bench/main.ts')) {
  builds.push({ ...node, entryPoints: ['test/bench/main.ts'], outfile: 'dist/bench.js' });
}

// Licence notes of data embedded in the bundles travel beside them (and into the .vsix).
mkdirSync('dist/licenses', { recursive: true });
copyFileSync('models/clip-tokenizer/LICENSE-NOTE.txt', 'dist/licenses/clip-tokenizer.txt');

if (args.has('--watch')) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
