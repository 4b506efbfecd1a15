// Drive the BUILT daemon (dist/cli.js serve --stdio) over stdio exactly as the extension and CLI do.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-languageserver/node';
import { PROTOCOL_VERSION, type DaemonSettings, type NotificationMethod, type NotificationTypes, type ParamsOf, type RequestMethod, type ResultOf } from '../../daemon/protocol';

export const CLI = resolve('dist/cli.js');

export function tempDir(prefix = 'sd-studio-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestDaemon {
  child: ChildProcess;
  connection: MessageConnection;
  request<M extends RequestMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  on<M extends NotificationMethod>(method: M, handler: (p: NotificationTypes[M]) => void): void;
  stop(): Promise<void>;
}

export async function startDaemon(settings: Partial<DaemonSettings> = {}, protocolVersion = PROTOCOL_VERSION): Promise<TestDaemon> {
  const child = spawn(process.execPath, [CLI, 'serve', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr!.on('data', () => undefined);
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  try {
    await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { protocolVersion, client: 'test', settings } });
  } catch (e) {
    connection.dispose();
    child.kill();
    throw e;
  }
  await connection.sendNotification('initialized', {});
  return {
    child,
    connection,
    request: (method, params) => connection.sendRequest(method, params) as never,
    on: (method, handler) => void connection.onNotification(method, handler as never),
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      try {
        await connection.sendRequest('shutdown');
        await connection.sendNotification('exit');
      } catch {
        child.kill();
      }
      await exited;
      connection.dispose();
    },
  };
}

/** Run the built CLI synchronously; returns exit code and both streams. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, ...(cwd ? { cwd } : {}), timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
