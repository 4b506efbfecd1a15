import { randomUUID } from 'node:crypto';
import { CancelledError } from './errors';
import type { JobInfo, JobPreviewNotification, JobProgressNotification, JobState } from './protocol';

/** What a running job can tell the world. Comes from the job, never from globals. */
export interface JobContext {
  readonly id: string;
  readonly signal: AbortSignal;
  /** Sampler step `step` (1-based, of `steps`) of image `image` (0-based, of `images`) finished. */
  progress(step: number, steps: number, image: number, images: number): void;
  /**
   * A signal for one batch of a multi-batch job: it fires when the job is cancelled or when the user skips the
   * current batch (A1111's Skip). Call once per batch.
   */
  beginBatch(): AbortSignal;
  /** Generic progress for non-sampling jobs (merge, upscale tiles, batch files): `done` of `total`, with a label. */
  report(done: number, total: number, message: string): void;
  /** A preview is wanted now (so the caller only decodes one when somebody will see it). */
  wantsPreview(step: number, steps: number): boolean;
  preview(p: Omit<JobPreviewNotification, 'jobId'>): void;
}

export interface JobEvents {
  state(info: JobInfo): void;
  progress(p: JobProgressNotification): void;
  preview(p: JobPreviewNotification): void;
}

interface Job {
  info: JobInfo;
  controller: AbortController;
  /** The current batch's skip switch (see JobContext.beginBatch). */
  batch?: AbortController;
  run: (ctx: JobContext) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

const FINISHED_KEPT = 50;
/** Previews are dropped, not queued, when they come faster than this. */
const PREVIEW_MIN_INTERVAL_MS = 200;

/**
 * One worker, explicit states (queued → running → done | failed | cancelled). Generation saturates the CPU
 * (or GPU), so running two jobs at once only makes both slower.
 */
export class JobQueue {
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  private readonly finished: JobInfo[] = [];

  constructor(
    private readonly events: JobEvents,
    private readonly previewEvery: () => number,
  ) {}

  submit<T>(kind: string, jobId: string | undefined, run: (ctx: JobContext) => Promise<T>): { id: string; done: Promise<T> } {
    const id = jobId ?? randomUUID();
    if (this.find(id)) throw new Error(`a job with id "${id}" already exists`);
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { info: { jobId: id, kind, state: 'queued' }, controller: new AbortController(), run, resolve, reject };
    this.queue.push(job);
    this.events.state({ ...job.info });
    queueMicrotask(() => this.pump());
    return { id, done: done as Promise<T> };
  }

  /** Cancel a queued job at once, or signal a running one (it stops within one sampler step). */
  cancel(jobId: string): JobInfo | undefined {
    const qi = this.queue.findIndex((j) => j.info.jobId === jobId);
    if (qi >= 0) {
      const [job] = this.queue.splice(qi, 1);
      this.finish(job!, 'cancelled');
      job!.reject(new CancelledError());
      return { ...job!.info };
    }
    if (this.running?.info.jobId === jobId) {
      this.running.controller.abort();
      return { ...this.running.info };
    }
    const old = this.finished.find((j) => j.jobId === jobId);
    return old ? { ...old } : undefined;
  }

  /** A1111's Skip: stop sampling the running job's current batch; the job goes on with the next one. */
  skip(jobId: string): JobInfo | undefined {
    if (this.running?.info.jobId === jobId) {
      this.running.batch?.abort();
      return { ...this.running.info };
    }
    const other = this.queue.find((j) => j.info.jobId === jobId)?.info ?? this.finished.find((j) => j.jobId === jobId);
    return other ? { ...other } : undefined;
  }

  list(): JobInfo[] {
    return [...this.finished, ...(this.running ? [this.running.info] : []), ...this.queue.map((j) => j.info)].map((i) => ({ ...i }));
  }

  get depth(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  private find(id: string): boolean {
    return this.running?.info.jobId === id || this.queue.some((j) => j.info.jobId === id);
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    const job = this.queue.shift();
    if (!job) return;
    this.running = job;
    job.info.state = 'running';
    this.events.state({ ...job.info });
    try {
      const result = await job.run(this.contextFor(job));
      if (job.controller.signal.aborted) throw new CancelledError();
      this.finish(job, 'done');
      job.resolve(result);
    } catch (e) {
      const cancelled = e instanceof CancelledError || job.controller.signal.aborted;
      this.finish(job, cancelled ? 'cancelled' : 'failed', cancelled ? undefined : (e as Error)?.message ?? String(e));
      job.reject(cancelled ? new CancelledError() : e);
    } finally {
      this.running = undefined;
      void this.pump();
    }
  }

  private finish(job: Job, state: JobState, error?: string): void {
    job.info.state = state;
    if (error !== undefined) job.info.error = error;
    this.finished.push({ ...job.info });
    if (this.finished.length > FINISHED_KEPT) this.finished.shift();
    this.events.state({ ...job.info });
  }

  private contextFor(job: Job): JobContext {
    const started = Date.now();
    let lastPreview = 0;
    const events = this.events;
    const every = this.previewEvery;
    return {
      id: job.info.jobId,
      signal: job.controller.signal,
      progress(step, steps, image, images) {
        const done = image * steps + step;
        const total = steps * images;
        const elapsed = (Date.now() - started) / 1000;
        const etaSeconds = done > 0 ? (elapsed / done) * (total - done) : undefined;
        const eta = etaSeconds === undefined ? '' : ` · ${Math.ceil(etaSeconds)} s left`;
        events.progress({
          jobId: job.info.jobId, step, steps, image, images,
          ...(etaSeconds === undefined ? {} : { etaSeconds }),
          message: `step ${step}/${steps} · image ${image + 1}/${images}${eta}`,
        });
      },
      beginBatch() {
        job.batch = new AbortController();
        return AbortSignal.any([job.controller.signal, job.batch.signal]);
      },
      report(done, total, message) {
        const elapsed = (Date.now() - started) / 1000;
        const etaSeconds = done > 0 ? (elapsed / done) * (total - done) : undefined;
        const eta = etaSeconds === undefined ? '' : ` · ${Math.ceil(etaSeconds)} s left`;
        events.progress({ jobId: job.info.jobId, step: done, steps: total, image: 0, images: 1, ...(etaSeconds === undefined ? {} : { etaSeconds }), message: `${message}${eta}` });
      },
      wantsPreview(step, steps) {
        const n = every();
        if (n === 0) return false;
        const due = n < 0 ? step === steps : step % n === 0 || step === steps;
        return due && Date.now() - lastPreview >= PREVIEW_MIN_INTERVAL_MS;
      },
      preview(p) {
        lastPreview = Date.now();
        events.preview({ jobId: job.info.jobId, ...p });
      },
    };
  }
}
