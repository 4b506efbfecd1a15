// The shipped artefact: `npm run package` builds this platform's .vsix, code-server installs it, and the installed
// copy's daemon runs a whole img2img from its own bundled native binaries (onnxruntime-node, sharp).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { E2E, EXTENSION_ID, ROOT, TOOLS, toolsInstalled } from './harness.mjs';

test('the packaged .vsix installs into code-server and its daemon runs from the installed copy', { skip: !toolsInstalled() && 'e2e tools not installed (test/extension/setup.sh)' }, () => {
  const vsix = join(E2E, 'sd-studio-e2e.vsix');
  execFileSync('npm', ['run', 'package', '--', '--out', vsix], { cwd: ROOT, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'sd-vsix-'));
  const cs = join(TOOLS, 'node_modules/.bin/code-server');
  const common = ['--config', join(dir, 'config.yaml'), '--extensions-dir', join(dir, 'ext'), '--user-data-dir', join(dir, 'ud')];
  execFileSync(cs, [...common, '--install-extension', vsix], { stdio: 'inherit' });
  const listed = execFileSync(cs, [...common, '--list-extensions'], { encoding: 'utf8' });
  assert.match(listed, new RegExp(`^${EXTENSION_ID.replace('.', '\\.')}$`, 'm'));
  const installed = readdirSync(join(dir, 'ext')).find((n) => n.startsWith(EXTENSION_ID));
  assert.ok(installed, `no ${EXTENSION_ID}-* folder in the extensions dir`);
  const cli = join(dir, 'ext', installed, 'dist', 'cli.js');
  assert.ok(existsSync(cli));
  const r = spawnSync(process.execPath, [cli, 'demo', '--outdir', join(dir, 'out')], { cwd: dir, encoding: 'utf8', env: { ...process.env, SD_STUDIO_CACHE_DIR: join(dir, 'cache') }, timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /parses back to the same settings: yes/);
});
