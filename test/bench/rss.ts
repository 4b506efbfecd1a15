// Resident memory of this process, sampled: the peak between mark() calls (per stage) and overall. Reads
// /proc/self/status (anonymous vs file-backed pages tell copies from mapped weights apart); elsewhere Node's rss.
import { readFileSync } from 'node:fs';

export interface RssNow {
  rss: number;
  anon: number;
  file: number;
}

export function rssNow(): RssNow {
  try {
    const s = readFileSync('/proc/self/status', 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    const rss = process.memoryUsage().rss;
    return { rss, anon: rss, file: 0 };
  }
}

export const GiB = (b: number): string => `${(b / 2 ** 30).toFixed(2)} GiB`;

/** Samples RSS every `ms` while running; `mark(name)` closes the current stage (its peak and seconds) and opens the next. */
export class RssSampler {
  private timer: NodeJS.Timeout;
  private stage = 'start';
  private peak: RssNow = rssNow();
  private since = performance.now();
  readonly stages: Array<{ stage: string; peak: RssNow; seconds: number }> = [];

  constructor(ms = 100) {
    this.timer = setInterval(() => this.sample(), ms);
  }

  private sample(): void {
    const n = rssNow();
    if (n.rss > this.peak.rss) this.peak = n;
  }

  mark(next: string): void {
    this.sample();
    const now = performance.now();
    this.stages.push({ stage: this.stage, peak: this.peak, seconds: (now - this.since) / 1000 });
    this.since = now;
    this.stage = next;
    this.peak = rssNow();
  }

  stop(): Array<{ stage: string; peak: RssNow; seconds: number }> {
    this.mark('end');
    clearInterval(this.timer);
    return this.stages;
  }
}
