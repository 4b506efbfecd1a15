import { serveStdio } from '../../main';
import type { CliCommand } from '../command';

/** `sd-studio serve --stdio`: what the extension (and every CLI command) spawns. */
export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the daemon, speaking JSON-RPC (LSP framing) over stdio',
  usage: () => 'usage: sd-studio serve --stdio\n',
  run(argv) {
    if (argv.length !== 1 || argv[0] !== '--stdio') {
      process.stderr.write(this.usage());
      return Promise.resolve(2);
    }
    serveStdio();
    return new Promise<number>(() => undefined); // runs until the client sends `exit`
  },
};
