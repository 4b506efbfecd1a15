import { ResponseError, type CancellationToken, type Connection } from 'vscode-languageserver/node';
import { CancelledError, RpcError } from './errors';
import { JobQueue, type JobContext } from './jobs';
import { ErrorCodes, type DaemonSettings, type NotificationMethod, type NotificationTypes, type ParamsOf, type RequestMethod, type ResultOf } from './protocol';

/** What a plain (non-job) handler gets besides its params. */
export interface RequestContext {
  readonly token: CancellationToken;
  readonly settings: DaemonSettings;
}

/** What a job handler gets: the job (progress, previews, cancel signal) and the settings in force. */
export interface JobRequestContext {
  readonly job: JobContext;
  readonly settings: DaemonSettings;
}

/**
 * The daemon's method binding: handlers register here by protocol method name, typed by protocol.ts.
 * Maps errors to JSON-RPC codes and turns job progress into LSP work-done progress.
 */
export class DaemonServer {
  readonly jobs: JobQueue;
  /** Work-done progress reporters of running jobs whose request carried a token. */
  private readonly workDone = new Map<string, { report(percentage: number, message?: string): void }>();

  constructor(
    readonly connection: Connection,
    private currentSettings: DaemonSettings,
  ) {
    this.jobs = new JobQueue(
      {
        state: (info) => this.notify('sd/job.state', info),
        progress: (p) => {
          const total = p.steps * p.images;
          this.workDone.get(p.jobId)?.report(total > 0 ? Math.floor(((p.image * p.steps + p.step) / total) * 100) : 0, p.message);
          this.notify('sd/job.progress', p);
        },
        preview: (p) => this.notify('sd/job.preview', p),
      },
      () => this.currentSettings.previewEvery,
    );
  }

  get settings(): DaemonSettings {
    return this.currentSettings;
  }

  updateSettings(patch: Partial<DaemonSettings>): DaemonSettings {
    this.currentSettings = { ...this.currentSettings, ...patch };
    return this.currentSettings;
  }

  notify<M extends NotificationMethod>(method: M, params: NotificationTypes[M]): void {
    void this.connection.sendNotification(method, params);
  }

  log(message: string): void {
    this.connection.console.log(message);
  }

  /** A quick request: runs at once, outside the job queue. */
  onRequest<M extends RequestMethod>(method: M, handler: (params: ParamsOf<M>, ctx: RequestContext) => Promise<ResultOf<M>> | ResultOf<M>): void {
    this.connection.onRequest(method, async (params: ParamsOf<M>, token: CancellationToken) => {
      try {
        return await handler(params ?? ({} as ParamsOf<M>), { token, settings: this.currentSettings });
      } catch (e) {
        return toResponseError(e);
      }
    });
  }

  /**
   * A long request: queued as a job (one worker), with work-done progress on the request's token, previews,
   * and cancellation through `$/cancelRequest` or `sd/job.cancel`. Resolves when the job ends.
   */
  onJobRequest<M extends RequestMethod>(
    method: M,
    kind: string,
    handler: (params: ParamsOf<M>, ctx: JobRequestContext) => Promise<ResultOf<M>>,
  ): void {
    this.connection.onRequest(method, async (raw: ParamsOf<M>, token: CancellationToken) => {
      const params = (raw ?? {}) as ParamsOf<M> & { jobId?: string; workDoneToken?: string | number };
      const settings = this.currentSettings;
      const reporter = params.workDoneToken !== undefined ? this.connection.window.attachWorkDoneProgress(params.workDoneToken) : undefined;
      let submitted: { id: string; done: Promise<ResultOf<M>> };
      try {
        submitted = this.jobs.submit(kind, params.jobId, async (job) => {
          reporter?.begin(`SD Studio: ${kind}`, 0, 'starting', true);
          if (reporter) this.workDone.set(job.id, reporter);
          try {
            return await handler(params, { job, settings });
          } finally {
            this.workDone.delete(job.id);
          }
        });
      } catch (e) {
        return toResponseError(e);
      }
      const cancelSub = token.onCancellationRequested(() => this.jobs.cancel(submitted.id));
      try {
        return await submitted.done;
      } catch (e) {
        return toResponseError(e);
      } finally {
        cancelSub.dispose();
        reporter?.done();
      }
    });
  }

}

/** Known errors keep their code and data; cancellation maps to RequestCancelled; the rest to JobFailed. */
export function toResponseError(e: unknown): ResponseError<unknown> {
  if (e instanceof RpcError) return new ResponseError(e.code, e.message, e.data);
  if (e instanceof CancelledError) return new ResponseError(ErrorCodes.Cancelled, 'cancelled');
  if (e instanceof ResponseError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ResponseError(ErrorCodes.JobFailed, message);
}
