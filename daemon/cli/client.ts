import { spawn, type ChildProcess } from 'node:child_process';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection, ResponseError } from 'vscode-languageserver/node';
import { PROTOCOL_VERSION, type DaemonSettings, type InitializationOptions, type NotificationMethod, type NotificationTypes, type ParamsOf, type RequestMethod, type ResultOf } from '../protocol';

/** A typed connection to a daemon child process: the CLI is a client of the same protocol as the extension. */
export class DaemonClient {
  private constructor(
    private readonly child: ChildProcess,
    private readonly connection: MessageConnection,
  ) {}

  /** Spawn `sd-studio serve --stdio` (this same bundle) and complete the LSP handshake. */
  static async start(settings: Partial<DaemonSettings> = {}, stderr: 'inherit' | 'ignore' = 'inherit'): Promise<DaemonClient> {
    // Own process group: a terminal Ctrl-C reaches the CLI only, which then cancels the job cleanly.
    const child = spawn(process.execPath, [__filename, 'serve', '--stdio'], { stdio: ['pipe', 'pipe', stderr], detached: true });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.listen();
    const client = new DaemonClient(child, connection);
    const initializationOptions: InitializationOptions = { protocolVersion: PROTOCOL_VERSION, client: 'cli', settings };
    try {
      await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions });
    } catch (e) {
      connection.dispose();
      child.kill();
      throw e;
    }
    await connection.sendNotification('initialized', {});
    return client;
  }

  request<M extends RequestMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    return this.connection.sendRequest(method, params) as Promise<ResultOf<M>>;
  }

  onNotification<M extends NotificationMethod>(method: M, handler: (params: NotificationTypes[M]) => void): void {
    this.connection.onNotification(method, handler);
  }

  /** Daemon log lines (`window/logMessage`), e.g. provider fallback warnings. */
  onLog(handler: (message: string) => void): void {
    this.connection.onNotification('window/logMessage', (p: { message: string }) => handler(p.message));
  }

  async stop(): Promise<void> {
    try {
      // Wait for the shutdown reply, but never more than 2 s (unref'd: the timer must not keep the CLI alive).
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000).unref())]);
      await this.connection.sendNotification('exit');
    } catch {
      // the daemon may already be gone
    }
    this.connection.dispose();
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000).unref();
      await exited;
      clearTimeout(timer);
    }
  }
}

/** A readable one-line message for an error response. */
export function errorMessage(e: unknown): string {
  if (e instanceof ResponseError) return e.message;
  return e instanceof Error ? e.message : String(e);
}
