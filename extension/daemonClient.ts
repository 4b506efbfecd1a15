// The daemon as a language client: `node dist/cli.js serve --stdio` spawned by vscode-languageclient (stdio
// transport, ELECTRON_RUN_AS_NODE so desktop VS Code's Electron binary runs as Node), serving the `.sdprompt`
// language and every `sd/*` / `models/*` request of daemon/protocol.ts through typed helpers.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type Executable, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
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

type Handler = (params: unknown) => void;

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

  /** Starts the daemon; resolves once `initialize` succeeded, rejects with the daemon's reason otherwise. */
  async start(): Promise<void> {
    if (this.client) return;
    const cli = path.join(this.extensionPath, 'dist', 'cli.js');
    const exe: Executable = {
      command: process.execPath,
      args: [cli, 'serve'], // TransportKind.stdio appends --stdio
      transport: TransportKind.stdio,
      options: { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', SD_STUDIO_DATA_DIR: this.dataDir } },
    };
    const serverOptions: ServerOptions = { run: exe, debug: exe };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ language: 'sdprompt' }],
      outputChannel: this.log,
      initializationOptions: (): InitializationOptions => ({ protocolVersion: PROTOCOL_VERSION, client: 'vscode', settings: this.settings() }),
      // A protocol mismatch or a crash at start will not heal by retrying.
      initializationFailedHandler: (error) => {
        this.log.error(`daemon initialization failed: ${error instanceof Error ? error.message : String(error)}`);
        return false;
      },
    };
    const client = new LanguageClient(CLIENT_ID, 'SD Studio Daemon', serverOptions, clientOptions);
    this.client = client;
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
    return token ? client.sendRequest<ResultOf<M>>(method, params, token) : client.sendRequest<ResultOf<M>>(method, params);
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
  }
}
