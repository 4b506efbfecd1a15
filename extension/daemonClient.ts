// The daemon as a language client: `node dist/cli.js serve --stdio` spawned by vscode-languageclient (stdio
// transport, ELECTRON_RUN_AS_NODE so desktop VS Code's Electron binary runs as Node), serving the `.sdprompt`
// language and every `sd/*` / `models/*` request of daemon/protocol.ts through typed helpers.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CloseAction, ErrorAction, ErrorCodes as LspErrorCodes, LanguageClient, ResponseError, State, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import {
  PROTOCOL_VERSION, type DaemonSettings, type InitializationOptions, type NotificationMethod, type NotificationTypes,
  type ParamsOf, type RequestMethod, type ResultOf,
} from '../daemon/protocol';
import type { DaemonHandle } from './sdContext';

export const CLIENT_ID = 'sdStudio';

export class DaemonNotRunningError extends Error {
  constructor() {
    super('The SD Studio daemon is not running. Run "SD Studio: Restart Daemon" or see "SD Studio: Show Logs".');
  }
}

/** The daemon process ended on its own (a crash, an out-of-memory kill, `kill -9`) while requests were waiting. */
export class DaemonExitedError extends Error {
  override name = 'DaemonExitedError';
}

type Handler = (params: unknown) => void;

/** How long a request that lost its connection waits for the process's exit status, to report it. */
const EXIT_REPORT_WAIT_MS = 1000;

/**
 * One daemon process at a time. Notification handlers outlive restarts: they are kept here and attached to
 * each new client. Requests while the daemon is down fail at once with DaemonNotRunningError.
 */
export class DaemonClient implements DaemonHandle, vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly attached = new Set<string>();
  private readonly stateEmitter = new vscode.EventEmitter<boolean>();
  readonly onDidChangeState = this.stateEmitter.event;
  private isRunning = false;
  /** Set when the running process exits: "daemon exited (code N)" / "(signal S)". */
  private exit: { reason: string; at: Promise<string> } | undefined;
  private readonly exitEmitter = new vscode.EventEmitter<string>();
  /** The daemon process ended without being asked to (the message says how); not fired by stop(). */
  readonly onDidExit = this.exitEmitter.event;
  private stopping = false;

  constructor(
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
    private readonly settings: () => Partial<DaemonSettings>,
    /** The daemon's user data folder (SD_STUDIO_DATA_DIR): GPU support is installed there and loaded from there. */
    private readonly dataDir: string,
  ) {}

  get running(): boolean {
    return this.isRunning;
  }

  /** Why the last daemon process ended, when it ended on its own. */
  get exitReason(): string | undefined {
    return this.exit?.reason || undefined;
  }

  /** Starts the daemon; resolves once `initialize` succeeded, rejects with the daemon's reason otherwise. */
  async start(): Promise<void> {
    if (this.client) return;
    const cli = path.join(this.extensionPath, 'dist', 'cli.js');
    // The process is spawned here (not by the client) so its exit code or signal can be reported.
    const serverOptions: ServerOptions = async () => {
      const child = spawn(process.execPath, [cli, 'serve', '--stdio'], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', SD_STUDIO_DATA_DIR: this.dataDir } });
      const exit = { reason: '', at: Promise.resolve('') };
      exit.at = new Promise<string>((resolve) => {
        child.once('exit', (code, signal) => {
          exit.reason = `daemon exited (${signal ? `signal ${signal}` : `code ${code}`})`;
          resolve(exit.reason);
          if (!this.stopping && this.exit === exit) {
            this.log.error(`${exit.reason}; "SD Studio: Restart Daemon" starts a new one`);
            this.exitEmitter.fire(exit.reason);
          }
        });
      });
      this.exit = exit;
      return child;
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ language: 'sdprompt' }],
      outputChannel: this.log,
      initializationOptions: (): InitializationOptions => ({ protocolVersion: PROTOCOL_VERSION, client: 'vscode', settings: this.settings() }),
      // A protocol mismatch or a crash at start will not heal by retrying.
      initializationFailedHandler: (error) => {
        this.log.error(`daemon initialization failed: ${error instanceof Error ? error.message : String(error)}`);
        return false;
      },
      // A crashed daemon is not restarted behind the user's back (a job that crashed it would crash it again):
      // the status bar shows it stopped, with a restart, and pending requests fail with the exit status.
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => ({ action: CloseAction.DoNotRestart, handled: true }),
      },
    };
    const client = new LanguageClient(CLIENT_ID, 'SD Studio Daemon', serverOptions, clientOptions);
    this.client = client;
    this.stopping = false;
    this.attached.clear();
    client.onDidChangeState((e) => this.setRunning(e.newState === State.Running));
    for (const method of this.handlers.keys()) this.attach(method);
    try {
      await client.start();
    } catch (e) {
      this.client = undefined;
      this.setRunning(false);
      await client.dispose().catch(() => undefined);
      throw e;
    }
    this.setRunning(client.state === State.Running);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const client = this.client;
    this.client = undefined;
    this.attached.clear();
    this.setRunning(false);
    if (client) {
      try {
        await client.stop(5000);
      } catch (e) {
        this.log.warn(`daemon did not stop cleanly: ${(e as Error).message}`);
      }
      await client.dispose().catch(() => undefined);
    }
  }

  async request<M extends RequestMethod>(method: M, params: ParamsOf<M>, token?: vscode.CancellationToken): Promise<ResultOf<M>> {
    const client = this.client;
    if (!client || !this.isRunning) throw new DaemonNotRunningError();
    const exit = this.exit;
    try {
      return await (token ? client.sendRequest<ResultOf<M>>(method, params, token) : client.sendRequest<ResultOf<M>>(method, params));
    } catch (e) {
      // A lost connection is reported as the process's exit status when it has one ("daemon exited (signal SIGKILL)").
      if (!exit || (e instanceof ResponseError && e.code !== LspErrorCodes.PendingResponseRejected && e.code !== LspErrorCodes.ConnectionInactive)) throw e;
      const reason = await Promise.race([exit.at, new Promise<string>((r) => setTimeout(() => r(''), EXIT_REPORT_WAIT_MS))]);
      throw reason ? new DaemonExitedError(reason) : e;
    }
  }

  onNotification<M extends NotificationMethod>(method: M, handler: (params: NotificationTypes[M]) => void): vscode.Disposable {
    let set = this.handlers.get(method);
    if (!set) this.handlers.set(method, (set = new Set()));
    set.add(handler as Handler);
    this.attach(method);
    return new vscode.Disposable(() => set.delete(handler as Handler));
  }

  private attach(method: string): void {
    if (!this.client || this.attached.has(method)) return;
    this.attached.add(method);
    this.client.onNotification(method, (params: unknown) => {
      for (const h of this.handlers.get(method) ?? []) {
        try {
          h(params);
        } catch (e) {
          this.log.error(`handler of ${method} failed: ${(e as Error).message}`);
        }
      }
    });
  }

  private setRunning(running: boolean): void {
    if (running === this.isRunning) return;
    this.isRunning = running;
    this.stateEmitter.fire(running);
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
    this.exitEmitter.dispose();
  }
}
