// /sdapi/v1/progress: A1111's `shared.state` as the API reports it (`modules/api/api.py: progressapi`), fed by the
// daemon's job notifications, so it shows whatever is running (an API request, a panel's job, a CLI job).
import type { NotificationTypes } from '../protocol';
import { jobTimestamp } from './info';

interface Tracked {
  jobId: string;
  job: string;
  started: number;
  jobNo: number;
  jobCount: number;
  step: number;
  steps: number;
  skipped: boolean;
  interrupted: boolean;
  preview?: string;
}

export class ProgressTracker {
  private readonly running = new Map<string, Tracked>();
  /** The A1111 `job` name the API gave a job ("scripts_txt2img", "extras", ...). */
  private readonly labels = new Map<string, string>();

  label(jobId: string, job: string): void {
    this.labels.set(jobId, job);
  }

  onState(s: NotificationTypes['sd/job.state']): void {
    if (s.state === 'running') {
      this.running.set(s.jobId, {
        jobId: s.jobId, job: this.labels.get(s.jobId) ?? s.kind, started: Date.now(), jobNo: 0, jobCount: 1, step: 0, steps: 0, skipped: false, interrupted: false,
      });
    } else if (s.state !== 'queued') {
      this.running.delete(s.jobId);
      this.labels.delete(s.jobId);
    }
  }

  onProgress(p: NotificationTypes['sd/job.progress']): void {
    const t = this.running.get(p.jobId);
    if (!t) return;
    t.jobNo = p.image;
    t.jobCount = Math.max(1, p.images);
    t.step = p.step;
    t.steps = p.steps;
  }

  onPreview(p: NotificationTypes['sd/job.preview']): void {
    const t = this.running.get(p.jobId);
    if (t) t.preview = p.png;
  }

  /** The job /progress describes: the one that started last. */
  current(): Tracked | undefined {
    let best: Tracked | undefined;
    for (const t of this.running.values()) if (!best || t.started >= best.started) best = t;
    return best;
  }

  mark(jobId: string, what: 'skipped' | 'interrupted'): void {
    const t = this.running.get(jobId);
    if (t) t[what] = true;
  }

  response(skipCurrentImage: boolean, now = Date.now()): Record<string, unknown> {
    const t = this.current();
    const state = {
      skipped: t?.skipped ?? false,
      interrupted: t?.interrupted ?? false,
      stopping_generation: false,
      job: t?.job ?? '',
      job_count: t ? t.jobCount : 0,
      job_timestamp: jobTimestamp(new Date(t?.started ?? now)),
      job_no: t?.jobNo ?? 0,
      sampling_step: t?.step ?? 0,
      sampling_steps: t?.steps ?? 0,
    };
    if (!t) return { progress: 0, eta_relative: 0, state, current_image: null, textinfo: null };
    // A1111's arithmetic: 0.01 so nothing divides by zero, the batches done, the steps of this batch.
    let progress = 0.01 + t.jobNo / t.jobCount;
    if (t.steps > 0) progress += (1 / t.jobCount) * (t.step / t.steps);
    const elapsed = (now - t.started) / 1000;
    const etaRelative = elapsed / progress - elapsed;
    return {
      progress: Math.min(progress, 1),
      eta_relative: etaRelative,
      state,
      current_image: !skipCurrentImage && t.preview ? t.preview : null,
      textinfo: null,
    };
  }
}
