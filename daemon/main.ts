import { PassThrough, Writable } from 'node:stream';
import { createConnection, ResponseError, StreamMessageReader, StreamMessageWriter, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { registerHandlers } from './handlers';
import { SDPROMPT_TRIGGER_CHARACTERS } from './language';
import { ErrorCodes, PROTOCOL_VERSION, type DaemonSettings, type InitializationOptions, type InitializeResultExtras } from './protocol';
import { DaemonServer } from './server';
import { Services } from './services';
import { checkSettingsPatch, defaultSettings } from './settings';

export const DAEMON_VERSION = '0.1.0';

/**
 * Serve the protocol over stdio. Nothing but the protocol may reach stdout, so console output is sent to
 * stderr before anything else runs.
 */
export function serveStdio(): void {
  console.log = console.error;
  console.info = console.error;
  console.warn = console.error;
  const connection = createConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  const server = new DaemonServer(connection, defaultSettings());

  connection.onInitialize((params) => {
    const opts = (params.initializationOptions ?? {}) as Partial<InitializationOptions>;
    if (opts.protocolVersion !== PROTOCOL_VERSION) {
      return new ResponseError(
        ErrorCodes.ProtocolMismatch,
        `SD Studio protocol mismatch: client speaks version ${opts.protocolVersion ?? '(none)'}, daemon ${DAEMON_VERSION} speaks ${PROTOCOL_VERSION}. Update the extension and the daemon together.`,
        { retry: false },
      );
    }
    if (opts.settings !== undefined) {
      try {
        server.updateSettings(checkSettingsPatch(opts.settings));
      } catch (e) {
        // A bad setting is named, not half-applied: the client shows it and the user fixes it.
        return new ResponseError(ErrorCodes.InvalidParams, (e as Error).message, { retry: false });
      }
    }
    const extras: InitializeResultExtras = { protocolVersion: PROTOCOL_VERSION, serverInfo: { name: 'sd-studio-daemon', version: DAEMON_VERSION } };
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        // .sdprompt language features (daemon/language)
        completionProvider: { triggerCharacters: SDPROMPT_TRIGGER_CHARACTERS },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
      },
      ...extras,
    };
  });

  const services = new Services(() => server.settings, (m) => server.log(`warning: ${m}`));
  server.onShutdown(() => services.dispose());
  registerHandlers(server, services);
  // The daemon serves exactly one client over stdio: when that pipe closes (client gone or crashed), exit.
  process.stdin.on('end', () => process.exit(0));
  connection.onExit(() => process.exit(0));
  connection.listen();
}

/**
 * A daemon with no stdio client (`sd-studio serve --api`): the same handlers and job queue, reached in-process by
 * the HTTP API. Its connection reads nothing and drops what it writes; logs go to stderr.
 */
export function createHeadlessDaemon(settings: Partial<DaemonSettings>): { server: DaemonServer; services: Services } {
  const discard = new Writable({ write: (_chunk, _enc, done) => done() });
  const connection = createConnection(new StreamMessageReader(new PassThrough()), new StreamMessageWriter(discard));
  const server = new DaemonServer(connection, { ...defaultSettings(), ...settings }, (m) => process.stderr.write(`${m}\n`));
  const services = new Services(() => server.settings, (m) => server.log(`warning: ${m}`));
  registerHandlers(server, services);
  return { server, services };
}
