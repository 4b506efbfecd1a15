import { randomUUID } from 'node:crypto';
import { BackendLostError, CancelledError } from './errors';
import type { JobInfo, JobPreviewNotification, JobProgressNotification, JobState } from './protocol';

/** The lane of the daemon's own worker (its ONNX Runtime sessions). Remote backends are lanes named after them. */
export const LOCAL_LANE = 'local';

/** What a running job can tell the world. Comes from the job, never from globals. */
export interface JobContext {
  readonly id: string;
  readonly signal: AbortSignal;
  /** The lane (backend) running the job: `local`, or a remote backend's name. */
  readonly lane: string;
  /** A1111's Interrupt: stop sampling now, keep what is done, start no further batch (see JobQueue.interrupt). */
  readonly interrupted: boolean;
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
  /**
   * Something the job skipped and went on without (A1111 prints these to its console): an unreadable embedding,
   * LoRA or VAE-approx file, a LoRA tag naming no file. Shown at once (a log line) and kept for the result.
   */
  warn(message: string): void;
  /** The warnings so far, for the job's result. */
  readonly warnings: readonly string[];
}

export interface JobEvents {
  state(info: JobInfo): void;
  progress(p: JobProgressNotification): void;
  preview(p: JobPreviewNotification): void;
  warning(jobId: string, message: string): void;
}

/** Which lanes may run a job, best first; asked again each time the job waits for one (backends come and go). */
export type LaneChooser = () => readonly string[];

interface Job {
  info: JobInfo;
  controller: AbortController;
  /** The current batch's skip switch (see JobContext.beginBatch). */
  batch?: AbortController;
  interrupted: boolean;
  run: (ctx: JobContext) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  lanes: LaneChooser;
  /** Lanes whose backend went away while running this job: never tried again for it. */
  lost: Set<string>;
  lastError?: unknown;
}

const FINISHED_KEPT = 50;
/** Previews are dropped, not queued, when they come faster than this. */
const PREVIEW_MIN_INTERVAL_MS = 200;
/** A job whose backend goes away mid-run is retried once on another lane, then reported failed. */
const RETRIES_ELSEWHERE = 1;

/**
 * Explicit states (queued → running → done | failed | cancelled), one worker per lane: the local lane runs one
 * job at a time (generation saturates the CPU or GPU, so two at once only makes both slower), and each remote
 * backend is a lane of its own. A queued job starts on the free lane, among those its chooser names, that has
 * been idle longest; a job whose backend dies (BackendLostError) goes back to the head of the queue once.
 */
export class JobQueue {
  private readonly queue: Job[] = [];
  private readonly running = new Map<string, Job>();
  private readonly idleSince = new Map<string, number>();
  private readonly finished: JobInfo[] = [];
  private pumping = false;

  constructor(
    private readonly events: JobEvents,
    private readonly previewEvery: () => number,
  ) {}

  submit<T>(kind: string, jobId: string | undefined, run: (ctx: JobContext) => Promise<T>, lanes: LaneChooser = () => [LOCAL_LANE]): { id: string; done: Promise<T> } {
    const id = jobId ?? randomUUID();
    if (this.find(id)) throw new Error(`a job with id "${id}" already exists`);
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { info: { jobId: id, kind, state: 'queued' }, controller: new AbortController(), interrupted: false, run, resolve, reject, lanes, lost: new Set() };
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
    const running = this.runningJob(jobId);
    if (running) {
      running.controller.abort();
      return { ...running.info };
    }
    const old = this.finished.find((j) => j.jobId === jobId);
    return old ? { ...old } : undefined;
  }

  /** A1111's Skip: stop sampling the running job's current batch; the job goes on with the next one. */
  skip(jobId: string): JobInfo | undefined {
    const running = this.runningJob(jobId);
    if (running) {
      running.batch?.abort();
      return { ...running.info };
    }
    const other = this.queue.find((j) => j.info.jobId === jobId)?.info ?? this.finished.find((j) => j.jobId === jobId);
    return other ? { ...other } : undefined;
  }

  /**
   * A1111's Interrupt: a sampling job stops its current batch (keeping its latest prediction, as Skip) and starts
   * no other, ending `done` with what it has; a job without batches is cancelled. A queued job is cancelled.
   */
  interrupt(jobId: string): JobInfo | undefined {
    const running = this.runningJob(jobId);
    if (!running) return this.cancel(jobId);
    running.interrupted = true;
    if (running.batch) running.batch.abort();
    else running.controller.abort();
    return { ...running.info };
  }

  list(): JobInfo[] {
    return [...this.finished, ...[...this.running.values()].map((j) => j.info), ...this.queue.map((j) => j.info)].map((i) => ({ ...i }));
  }

  /** Jobs running now, oldest first. */
  active(): JobInfo[] {
    return [...this.running.values()].map((j) => ({ ...j.info }));
  }

  get depth(): number {
    return this.queue.length + this.running.size;
  }

  /** Whether a lane is running a job now. */
  busy(lane: string): boolean {
    return this.running.has(lane);
  }

  /** Lanes changed (a backend came back, settings changed): waiting jobs may start. */
  wake(): void {
    queueMicrotask(() => this.pump());
  }

  private runningJob(id: string): Job | undefined {
    for (const j of this.running.values()) if (j.info.jobId === id) return j;
    return undefined;
  }

  private find(id: string): boolean {
    return this.runningJob(id) !== undefined || this.queue.some((j) => j.info.jobId === id);
  }

  /** Start every queued job that has a free lane, in queue order (a job waiting for a busy lane lets others by). */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let i = 0; i < this.queue.length; ) {
        const job = this.queue[i]!;
        const candidates = job.lanes().filter((l) => !job.lost.has(l));
        if (candidates.length === 0) {
          this.queue.splice(i, 1);
          const why = job.lastError instanceof Error ? job.lastError.message : 'no backend can run it (none has its model, or all are down)';
          this.finish(job, 'failed', why);
          job.reject(job.lastError ?? new Error(why));
          continue;
        }
        const free = candidates.filter((l) => !this.running.has(l));
        if (free.length === 0) {
          i++;
          continue;
        }
        const lane = free.reduce((a, b) => ((this.idleSince.get(b) ?? 0) < (this.idleSince.get(a) ?? 0) ? b : a));
        this.queue.splice(i, 1);
        void this.start(job, lane);
      }
    } finally {
      this.pumping = false;
    }
  }

  private async start(job: Job, lane: string): Promise<void> {
    this.running.set(lane, job);
    job.info.state = 'running';
    job.info.backend = lane;
    this.events.state({ ...job.info });
    try {
      const result = await job.run(this.contextFor(job, lane));
      if (job.controller.signal.aborted && !job.interrupted) throw new CancelledError();
      this.finish(job, 'done');
      job.resolve(result);
    } catch (e) {
      const cancelled = e instanceof CancelledError || job.controller.signal.aborted;
      if (!cancelled && e instanceof BackendLostError && job.lost.size < RETRIES_ELSEWHERE) {
        // The backend went away mid-job: try once on another lane; nothing was saved for this job yet.
        job.lost.add(lane);
        job.lastError = e;
        job.batch = undefined;
        job.info.state = 'queued';
        delete job.info.backend;
        this.events.state({ ...job.info });
        this.queue.unshift(job);
      } else {
        this.finish(job, cancelled ? 'cancelled' : 'failed', cancelled ? undefined : (e as Error)?.message ?? String(e));
        job.reject(cancelled ? new CancelledError() : e);
      }
    } finally {
      this.running.delete(lane);
      this.idleSince.set(lane, Date.now());
      this.pump();
    }
  }

  private finish(job: Job, state: JobState, error?: string): void {
    job.info.state = state;
    if (error !== undefined) job.info.error = error;
    this.finished.push({ ...job.info });
    if (this.finished.length > FINISHED_KEPT) this.finished.shift();
    this.events.state({ ...job.info });
  }

  private contextFor(job: Job, lane: string): JobContext {
    const started = Date.now();
    let lastPreview = 0;
    const events = this.events;
    const every = this.previewEvery;
    // Panels, the status bar and the CLI show the message: say where a remote job runs.
    const where = lane === LOCAL_LANE ? '' : ` · on ${lane}`;
    const warnings: string[] = [];
    return {
      id: job.info.jobId,
      signal: job.controller.signal,
      lane,
      get interrupted() {
        return job.interrupted;
      },
      warnings,
      warn(message) {
        if (warnings.includes(message)) return;
        warnings.push(message);
        events.warning(job.info.jobId, message);
      },
      progress(step, steps, image, images) {
        const done = image * steps + step;
        const total = steps * images;
        const elapsed = (Date.now() - started) / 1000;
        const etaSeconds = done > 0 ? (elapsed / done) * (total - done) : undefined;
        const eta = etaSeconds === undefined ? '' : ` · ${Math.ceil(etaSeconds)} s left`;
        events.progress({
          jobId: job.info.jobId, step, steps, image, images,
          ...(etaSeconds === undefined ? {} : { etaSeconds }),
          message: `step ${step}/${steps} · image ${image + 1}/${images}${eta}${where}`,
        });
      },
      beginBatch() {
        job.batch = new AbortController();
        if (job.interrupted) job.batch.abort();
        return AbortSignal.any([job.controller.signal, job.batch.signal]);
      },
      report(done, total, message) {
        const elapsed = (Date.now() - started) / 1000;
        const etaSeconds = done > 0 ? (elapsed / done) * (total - done) : undefined;
        const eta = etaSeconds === undefined ? '' : ` · ${Math.ceil(etaSeconds)} s left`;
        events.progress({ jobId: job.info.jobId, step: done, steps: total, image: 0, images: 1, ...(etaSeconds === undefined ? {} : { etaSeconds }), message: `${message}${eta}${where}` });
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
