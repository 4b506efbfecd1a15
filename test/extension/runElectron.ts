// `npm run test:electron`: the same mocha suites (test/extension/suite) in a desktop VS Code downloaded by
// @vscode/test-electron. Needs internet (it downloads VS Code) and, today, Node ≥ 22 for the newest test-electron;
// this machine's CI cannot download it, so CI runs the suites in code-server instead (test/extension/e2e.mjs).
// Run: npm run test:electron        (env VSCODE_VERSION, default 1.99.3 — the engines.vscode floor)
import { resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = resolve(__dirname, '..', '..', '..');
  try {
    await runTests({
      version: process.env.VSCODE_VERSION ?? '1.99.3',
      extensionDevelopmentPath: root,
      extensionTestsPath: resolve(root, '.e2e', 'out', 'suite', 'index.js'),
      launchArgs: ['--disable-extensions', '--disable-workspace-trust', resolve(root, '.e2e', 'runs', 'electron-workspace')],
    });
  } catch (e) {
    console.error('test:electron failed:', e);
    process.exit(1);
  }
}

void main();
