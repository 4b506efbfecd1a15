// Mocha inside the extension host (code-server via the `payload` URL, or desktop VS Code via runElectron.ts).
// Mocha comes from the e2e tool folder (.e2e/tools), bundled in by the harness.
import Mocha from 'mocha';
import { panelSuite } from './panels.suite';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60000 });
  mocha.suite.emit('pre-require', globalThis, 'panels.suite', mocha);
  panelSuite();
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
  });
}
