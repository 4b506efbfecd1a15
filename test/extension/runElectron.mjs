// Builds the mocha suite and runElectron.ts, then runs them (see runElectron.ts). Mocha is taken from .e2e/tools
// (test/extension/setup.sh --no-apt installs it without the browser).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { E2E, ROOT, bundle } from './harness.mjs';

execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
bundle('test/extension/suite/index.ts', join(E2E, 'out', 'suite', 'index.js'), { external: ['vscode'] });
bundle('test/extension/runElectron.ts', join(E2E, 'out', 'electron', 'runElectron.js'));
mkdirSync(join(E2E, 'runs', 'electron-workspace'), { recursive: true });
execFileSync(process.execPath, [join(E2E, 'out', 'electron', 'runElectron.js')], { cwd: ROOT, stdio: 'inherit' });
