import { UsageError } from './args';
import { exitCodeFor } from './client';
import { commands } from './commands';
import { isInfoWorker, serveInfoWorker } from '../infotext/infoWorker';

function help(): string {
  const rows = commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`);
  return `sd-studio — Stable Diffusion img2img, inpainting, upscaling and PNG info on ONNX Runtime\n\nusage: sd-studio <command> [options]\n\n${rows.join('\n')}\n\nRun "sd-studio <command> --help" for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`sd-studio: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage());
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`sd-studio ${name}: ${e.message}\n\n${command.usage()}`);
      return 2;
    }
    process.stderr.write(`sd-studio ${name}: ${(e as Error).message ?? e}\n`);
    return exitCodeFor(e);
  }
}

// The same bundle runs the daemon's image-metadata worker thread (daemon/infotext/infoWorker.ts).
if (isInfoWorker()) serveInfoWorker();
else runCli();

function runCli(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      // `serve` never resolves; every other command ends here.
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`sd-studio: ${(e as Error)?.stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}
