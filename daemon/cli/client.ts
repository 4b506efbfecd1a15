import { spawn, type ChildProcess } from 'node:child_process';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection, ResponseError } from 'vscode-languageserver/node';
import { ErrorCodes, PROTOCOL_VERSION, type DaemonSettings, type InitializationOptions, type NotificationMethod, type NotificationTypes, type ParamsOf, type RequestMethod, type ResultOf } from '../protocol';

/** The daemon process ended while the client still needed it (a crash, an OOM kill, `kill -9`). */
export class DaemonExitedError extends Error {
  override name = 'DaemonExitedError';
}

/**
 * A typed connection to a daemon child process: the CLI is a client of the same protocol as the extension. If
 * the daemon dies, every pending and later request fails with "daemon exited (code N / signal S)", so a command
 * never mistakes a crash for success.
 */
export class DaemonClient {
  private readonly exited: Promise<never>;
  private gone = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly connection: MessageConnection,
  ) {
    this.exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => {
        this.gone = true;
        reject(new DaemonExitedError(`daemon exited (${signal ? `signal ${signal}` : `code ${code}`})`));
      });
    });
    this.exited.catch(() => undefined); // observed by whoever is waiting; nobody may be
    // Writes to a dead daemon fail with EPIPE: that is reported as the exit above, not as a crash here.
    child.stdin?.on('error', () => undefined);
  }

  /** Spawn `sd-studio serve --stdio` (this same bundle) and complete the LSP handshake. */
  static async start(settings: Partial<DaemonSettings> = {}, stderr: 'inherit' | 'ignore' = 'inherit'): Promise<DaemonClient> {
    // Own process group: a terminal Ctrl-C reaches the CLI only, which then cancels the job cleanly.
    const child = spawn(process.execPath, [__filename, 'serve', '--stdio'], { stdio: ['pipe', 'pipe', stderr], detached: true });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.listen();
    const client = new DaemonClient(child, connection);
    const initializationOptions: InitializationOptions = { protocolVersion: PROTOCOL_VERSION, client: 'cli', settings };
    try {
      await client.whileAlive(connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions }));
    } catch (e) {
      connection.dispose();
      child.kill();
      throw e;
    }
    await connection.sendNotification('initialized', {});
    return client;
  }

  /** `p`, unless the daemon exits first. */
  private whileAlive<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.exited]);
  }

  request<M extends RequestMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    return this.whileAlive(this.connection.sendRequest(method, params) as Promise<ResultOf<M>>);
  }

  onNotification<M extends NotificationMethod>(method: M, handler: (params: NotificationTypes[M]) => void): void {
    this.connection.onNotification(method, handler);
  }

  /** Daemon log lines (`window/logMessage`), e.g. provider fallback warnings. */
  onLog(handler: (message: string) => void): void {
    this.connection.onNotification('window/logMessage', (p: { message: string }) => handler(p.message));
  }

  async stop(): Promise<void> {
    if (!this.gone) {
      try {
        // Wait for the shutdown reply, but never more than 2 s (unref'd: the timer must not keep the CLI alive).
        await Promise.race([this.whileAlive(this.connection.sendRequest('shutdown')), new Promise((r) => setTimeout(r, 2000).unref())]);
        await this.connection.sendNotification('exit');
      } catch {
        // the daemon may already be gone
      }
    }
    this.connection.dispose();
    if (!this.gone) {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000).unref();
      await this.exited.catch(() => undefined);
      clearTimeout(timer);
    }
  }
}

/**
 * The exit status for a failed request, as the README promises: 2 when the daemon refused a parameter (usage, a
 * value out of range), 1 for everything else (a failed job, an unreadable file, a dead daemon).
 */
export function exitCodeFor(e: unknown): 1 | 2 {
  return e instanceof ResponseError && e.code === ErrorCodes.InvalidParams ? 2 : 1;
}

/** A readable one-line message for an error response. */
export function errorMessage(e: unknown): string {
  if (e instanceof ResponseError) return e.message;
  return e instanceof Error ? e.message : String(e);
}
