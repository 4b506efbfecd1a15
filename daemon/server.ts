import { CancellationTokenSource, ResponseError, type CancellationToken, type Connection } from 'vscode-languageserver/node';
import { CancelledError, RpcError } from './errors';
import { JobQueue, type JobContext, type LaneChooser } from './jobs';
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

/** A registered method as it runs: params in, result out; errors are thrown (RpcError, CancelledError, ...). */
type Dispatch = (params: unknown, token: CancellationToken) => Promise<unknown>;

/** Someone inside the daemon who wants the notifications clients get (the HTTP API's progress, the backends). */
export type NotificationListener = <M extends NotificationMethod>(method: M, params: NotificationTypes[M]) => void;

/**
 * The daemon's method binding: handlers register here by protocol method name, typed by protocol.ts.
 * Maps errors to JSON-RPC codes and turns job progress into LSP work-done progress. The same handlers can be
 * called in-process (`call`): the HTTP API does so, so an API request and a panel request run the same code.
 */
export class DaemonServer {
  readonly jobs: JobQueue;
  /** Work-done progress reporters of running jobs whose request carried a token. */
  private readonly workDone = new Map<string, { report(percentage: number, message?: string): void }>();
  private readonly dispatchers = new Map<string, Dispatch>();
  private readonly listeners = new Set<NotificationListener>();
  private readonly shutdownHooks: Array<() => unknown> = [];

  constructor(
    readonly connection: Connection,
    private currentSettings: DaemonSettings,
    /** Where `log` goes; default the connection's console (`window/logMessage`). */
    private readonly logSink?: (message: string) => void,
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
        warning: (_jobId, message) => this.connection.console.warn(`warning: ${message}`),
      },
      () => this.currentSettings.previewEvery,
    );
    // The connection keeps one shutdown handler: every area's cleanup is collected here instead.
    connection.onShutdown(async () => {
      await Promise.allSettled(this.shutdownHooks.map(async (h) => h()));
    });
  }

  /** Run `hook` when the client asks the daemon to shut down (dispose sessions, close the HTTP API, ...). */
  onShutdown(hook: () => unknown): void {
    this.shutdownHooks.push(hook);
  }

  get settings(): DaemonSettings {
    return this.currentSettings;
  }

  updateSettings(patch: Partial<DaemonSettings>): DaemonSettings {
    this.currentSettings = { ...this.currentSettings, ...patch };
    return this.currentSettings;
  }

  notify<M extends NotificationMethod>(method: M, params: NotificationTypes[M]): void {
    for (const l of this.listeners) l(method, params);
    void this.connection.sendNotification(method, params);
  }

  /** Listen to every notification the daemon sends; returns the unsubscribe. */
  onNotify(listener: NotificationListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  log(message: string): void {
    if (this.logSink) this.logSink(message);
    else this.connection.console.log(message);
  }

  /**
   * Run a registered method in-process, exactly as a client request would run it (job methods queue on the job
   * queue). Errors are thrown as the handler threw them; `signal` cancels like `$/cancelRequest`.
   */
  async call<M extends RequestMethod>(method: M, params: ParamsOf<M>, signal?: AbortSignal): Promise<ResultOf<M>> {
    const dispatch = this.dispatchers.get(method);
    if (!dispatch) throw new RpcError(-32601, `no handler for ${method}`);
    const source = new CancellationTokenSource();
    const onAbort = (): void => source.cancel();
    if (signal?.aborted) source.cancel();
    signal?.addEventListener('abort', onAbort);
    try {
      return (await dispatch(params, source.token)) as ResultOf<M>;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      source.dispose();
    }
  }

  private bind(method: string, dispatch: Dispatch): void {
    this.dispatchers.set(method, dispatch);
    this.connection.onRequest(method, async (params: unknown, token: CancellationToken) => {
      try {
        return await dispatch(params, token);
      } catch (e) {
        return toResponseError(e);
      }
    });
  }

  /** A quick request: runs at once, outside the job queue. */
  onRequest<M extends RequestMethod>(method: M, handler: (params: ParamsOf<M>, ctx: RequestContext) => Promise<ResultOf<M>> | ResultOf<M>): void {
    this.bind(method, async (params, token) => handler((params ?? {}) as ParamsOf<M>, { token, settings: this.currentSettings }));
  }

  /**
   * A long request: queued as a job (one worker), with work-done progress on the request's token, previews,
   * and cancellation through `$/cancelRequest` or `sd/job.cancel`. Resolves when the job ends.
   */
  onJobRequest<M extends RequestMethod>(
    method: M,
    kind: string,
    handler: (params: ParamsOf<M>, ctx: JobRequestContext) => Promise<ResultOf<M>>,
    /** Which lanes (backends) may run the job; default the local worker. Throws for params naming no backend. */
    lanes?: (params: ParamsOf<M>) => LaneChooser,
  ): void {
    this.bind(method, async (raw, token) => {
      const params = (raw ?? {}) as ParamsOf<M> & { jobId?: string; workDoneToken?: string | number };
      const settings = this.currentSettings;
      const reporter = params.workDoneToken !== undefined ? this.connection.window.attachWorkDoneProgress(params.workDoneToken) : undefined;
      try {
        const chooser = lanes?.(params);
        const submitted = this.jobs.submit(kind, params.jobId, async (job) => {
          reporter?.begin(`SD Studio: ${kind}`, 0, 'starting', true);
          if (reporter) this.workDone.set(job.id, reporter);
          try {
            return await handler(params, { job, settings });
          } finally {
            this.workDone.delete(job.id);
          }
        }, chooser);
        const cancelSub = token.onCancellationRequested(() => this.jobs.cancel(submitted.id));
        try {
          return await submitted.done;
        } finally {
          cancelSub.dispose();
        }
      } finally {
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
