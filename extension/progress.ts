// Jobs with a face: a daemon job request shown as a VS Code progress notification (step i/n, ETA, a Cancel
// button). The job id is chosen here so that Cancel reaches the daemon (`sd/job.cancel`) even before the
// request's result; `sd/job.progress` notifications of that id drive the bar.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { ErrorCodes, type ParamsOf, type RequestMethod, type ResultOf } from '../daemon/protocol';
import type { DaemonHandle } from './sdContext';

/** The JSON-RPC error code of a failed request, if it has one. */
const codeOf = (e: unknown): number | undefined => (typeof (e as { code?: unknown })?.code === 'number' ? (e as { code: number }).code : undefined);

export function isCancelled(e: unknown): boolean {
  return codeOf(e) === ErrorCodes.Cancelled || e instanceof vscode.CancellationError;
}

export async function runJob<M extends RequestMethod>(
  daemon: DaemonHandle,
  log: vscode.LogOutputChannel,
  method: M,
  params: ParamsOf<M> & { jobId?: string },
  title: string,
): Promise<ResultOf<M> | undefined> {
  const jobId = params.jobId ?? randomUUID();
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      let done = 0;
      const sub = daemon.onNotification('sd/job.progress', (p) => {
        if (p.jobId !== jobId) return;
        const total = p.steps * p.images;
        const now = total > 0 ? ((p.image * p.steps + p.step) / total) * 100 : 0;
        progress.report({ increment: Math.max(0, now - done), message: p.message });
        done = Math.max(done, now);
      });
      const state = daemon.onNotification('sd/job.state', (s) => {
        if (s.jobId === jobId && s.state === 'queued') progress.report({ message: 'queued…' });
      });
      let cancelled = false;
      const cancel = token.onCancellationRequested(() => {
        cancelled = true;
        daemon.request('sd/job.cancel', { jobId }).catch((e) => log.warn(`cancel ${jobId}: ${(e as Error).message}`));
      });
      try {
        return await daemon.request(method, { ...params, jobId } as ParamsOf<M>);
      } catch (e) {
        if (cancelled || isCancelled(e)) {
          log.info(`${title}: cancelled`);
          return undefined;
        }
        const message = e instanceof Error ? e.message : String(e);
        log.error(`${title}: ${message}`);
        void vscode.window.showErrorMessage(`${title} failed: ${message}`, 'Show Logs').then((b) => b && log.show());
        throw e;
      } finally {
        sub.dispose();
        state.dispose();
        cancel.dispose();
      }
    },
  );
}
