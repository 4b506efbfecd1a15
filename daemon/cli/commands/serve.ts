import { ApiConfigError, startApi } from '../../api';
import { createHeadlessDaemon, serveStdio } from '../../main';
import type { DaemonSettings } from '../../protocol';
import { readBackends } from '../../settings';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import type { CliCommand } from '../command';

// A1111's flag names (`modules/cmd_args.py`) for what `serve --api` shares with it.
const apiFlags: Record<string, FlagSpec> = {
  api: { kind: 'boolean', help: 'serve A1111\'s HTTP API (/sdapi/v1) instead of the stdio protocol' },
  stdio: { kind: 'boolean', help: 'speak JSON-RPC (LSP framing) over stdio: what the extension and the CLI spawn' },
  port: { kind: 'int', help: 'API port (default 7860)' },
  listen: { kind: 'boolean', help: 'serve every network interface, not only 127.0.0.1 (needs --api-auth)' },
  'api-auth': { kind: 'string', help: 'HTTP basic auth, USER:PASS[,USER2:PASS2]' },
  'cors-allow-origins': { kind: 'string', help: 'comma-separated browser origins allowed to call the API (default none)' },
  'models-root': { kind: 'string', help: 'A1111 models folder or install (Stable-diffusion/, VAE/, Lora/, ...)' },
  model: { kind: 'string', short: 'm', help: 'checkpoint or ONNX model folder loaded by default' },
  outdir: { kind: 'string', short: 'o', help: 'output root for save_images (default ./outputs)' },
  backends: { kind: 'string', help: 'JSON file listing backends this API spreads jobs over (default $SD_STUDIO_BACKENDS)' },
  provider: { kind: 'string', help: 'execution provider: auto (default: the GPU one this install has, else cpu), cpu, cuda, dml, coreml, webgpu' },
  threads: { kind: 'int', help: 'intra-op threads (default: physical cores)' },
};

/** `sd-studio serve --api`: a daemon with no stdio client, answering A1111's HTTP API until Ctrl-C. */
async function serveApi(f: Record<string, unknown>): Promise<number> {
  const settings: Partial<DaemonSettings> = {};
  if (typeof f['models-root'] === 'string') settings.modelsRoot = f['models-root'];
  if (typeof f.model === 'string') settings.model = f.model;
  if (typeof f.outdir === 'string') settings.outputDir = f.outdir;
  if (typeof f.provider === 'string') {
    if (!['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'].includes(f.provider)) throw new UsageError(`--provider: expected auto, cpu, cuda, dml, coreml or webgpu, got "${f.provider}"`);
    settings.executionProvider = f.provider as DaemonSettings['executionProvider'];
  }
  if (typeof f.threads === 'number') settings.threads = f.threads;
  if (typeof f.backends === 'string') {
    try {
      settings.backends = readBackends(f.backends);
    } catch (e) {
      throw new UsageError(`--backends ${(e as Error).message}`);
    }
  }
  const listen = f.listen === true;
  const auth = typeof f['api-auth'] === 'string' ? f['api-auth'] : undefined;
  if (listen && !auth) {
    process.stderr.write('sd-studio serve: --listen serves the API to the whole network; refusing to start without --api-auth USER:PASS\n');
    return 2;
  }
  const { server, services } = createHeadlessDaemon(settings);
  let api;
  try {
    api = await startApi(server, services, {
      port: typeof f.port === 'number' ? f.port : 7860,
      listen,
      ...(auth ? { auth } : {}),
      ...(typeof f['cors-allow-origins'] === 'string' ? { corsOrigins: f['cors-allow-origins'].split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    });
  } catch (e) {
    const why = e instanceof ApiConfigError ? e.message : (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${String(f.port ?? 7860)} is in use` : (e as Error).message;
    process.stderr.write(`sd-studio serve: ${why}\n`);
    return e instanceof ApiConfigError ? 2 : 1;
  }
  const s = server.settings;
  process.stdout.write(`SD Studio: A1111 API running on ${api.url} (docs: ${api.url}/openapi.json)\n`);
  process.stdout.write(listen ? `  serving every network interface; HTTP basic auth required\n` : '  serving 127.0.0.1 only (--listen to serve the network, with --api-auth)\n');
  process.stdout.write(`  model: ${s.model || '(none: set --model or sd_model_checkpoint)'} · models root: ${s.modelsRoot || '(none)'}\n`);
  return new Promise<number>((resolve) => {
    const quit = (): void => {
      void api.close().then(() => resolve(0));
    };
    process.once('SIGINT', quit);
    process.once('SIGTERM', quit);
  });
}

/** `sd-studio serve --stdio` (what the extension and every CLI command spawn) or `serve --api`. */
export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the daemon: --stdio (JSON-RPC for the extension and CLI) or --api (A1111\'s HTTP API)',
  usage: () => usageText('serve', '--stdio | --api [--port 7860] [--listen --api-auth USER:PASS] [--models-root DIR] [--model M]', apiFlags),
  async run(argv) {
    const { flags: f } = parseFlags(argv, apiFlags);
    if (f.stdio === true && f.api === true) throw new UsageError('give --stdio or --api, not both');
    if (f.stdio === true) {
      if (argv.length !== 1) throw new UsageError('--stdio takes no other option (settings come from the client)');
      serveStdio();
      return new Promise<number>(() => undefined); // runs until the client sends `exit`
    }
    if (f.api !== true) throw new UsageError('give --stdio or --api');
    const code = await serveApi(f);
    // The headless daemon holds ONNX sessions and timers: leave at once when the API is closed.
    process.exit(code);
  },
};
