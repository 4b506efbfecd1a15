// A panel's jobs: live progress and previews of a running job forwarded to its webview, and every job still
// running cancelled when the panel closes.
import * as vscode from 'vscode';
import type { SdContext } from '../sdContext';
import type { WebviewHost } from './webviewHost';

/** Live progress and previews of one job, forwarded to a webview while the job runs. */
export function followJob(ctx: SdContext, host: WebviewHost, jobId: string): vscode.Disposable {
  const subs = [
    ctx.daemon.onNotification('sd/job.progress', (p) => {
      if (p.jobId === jobId) host.post({ type: 'progress', progress: p });
    }),
    ctx.daemon.onNotification('sd/job.preview', (p) => {
      if (p.jobId === jobId) host.post({ type: 'livePreview', jobId, image: p.image, step: p.step, src: `data:image/png;base64,${p.png}` });
    }),
  ];
  return { dispose: () => subs.forEach((s) => s.dispose()) };
}

export interface JobTracker {
  readonly running: Set<string>;
  /** Cancel every job still running (a panel closed mid-generation). */
  cancelAll(): void;
}

export function jobTracker(ctx: SdContext): JobTracker {
  const running = new Set<string>();
  return {
    running,
    cancelAll() {
      if (!running.size) return;
      const ids = new Set(running);
      // log how each job ended (`sd/job.state`), so a closed panel's jobs can be followed in the output channel
      const ended = ctx.daemon.onNotification('sd/job.state', (s) => {
        if (!ids.has(s.jobId) || s.state === 'queued' || s.state === 'running') return;
        ctx.log.info(`panel closed mid-run: job ${s.jobId} ended ${s.state}`);
        ids.delete(s.jobId);
        if (!ids.size) { ended.dispose(); clearTimeout(timer); }
      });
      const timer = setTimeout(() => ended.dispose(), 10 * 60_000);
      for (const jobId of running) {
        ctx.log.info(`panel closed mid-run: cancelling job ${jobId}`);
        ctx.daemon.request('sd/job.cancel', { jobId }).catch((e) => ctx.log.info(`cancel ${jobId}: ${String(e)}`));
      }
      running.clear();
    },
  };
}
