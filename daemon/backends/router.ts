// Which engine runs a generation job. The `backends` setting lists them (empty: this daemon alone); each remote
// one is a lane of the job queue. A job may go to the lanes that are up and have its model (models listed from
// each engine); the queue starts it on the free one idle longest. An engine that fails is marked down and probed
// again every few seconds; when it answers, waiting jobs may go to it.
import { invalidParam } from '../errors';
import { LOCAL_LANE, type JobQueue, type LaneChooser } from '../jobs';
import type { BackendConfig, BackendStatus, DaemonSettings, Img2ImgParams } from '../protocol';
import { A1111Backend } from './a1111';
import { ComfyUiBackend } from './comfyui';
import { modelKey, type RemoteBackend } from './types';

const PROBE_EVERY_MS = 5000;

interface Entry {
  backend?: RemoteBackend;
  config: BackendConfig;
  state: 'up' | 'down' | 'unknown';
  models: string[];
  error?: string;
  probing?: Promise<void>;
}

export class BackendRouter {
  private entries = new Map<string, Entry>();
  private configKey = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: () => DaemonSettings,
    private readonly jobs: JobQueue,
    private readonly log: (m: string) => void,
  ) {}

  /** Rebuild the engine table when the setting changed. */
  private sync(): void {
    const list = this.settings().backends ?? [];
    const key = JSON.stringify(list);
    if (key === this.configKey) return;
    this.configKey = key;
    for (const e of this.entries.values()) e.backend?.dispose();
    this.entries = new Map();
    for (const c of list) {
      if (!c || typeof c.name !== 'string' || !c.name) throw invalidParam('backends', 'every backend needs a name');
      if (this.entries.has(c.name)) throw invalidParam('backends', `two backends are named "${c.name}"`);
      if (c.kind !== 'local' && !/^https?:\/\//.test(c.url ?? '')) throw invalidParam('backends', `backend "${c.name}": url must be http(s)://host:port`);
      const backend = c.kind === 'a1111' ? new A1111Backend(c) : c.kind === 'comfyui' ? new ComfyUiBackend(c) : c.kind === 'local' ? undefined : null;
      if (backend === null) throw invalidParam('backends', `backend "${c.name}": kind must be local, a1111 or comfyui`);
      this.entries.set(c.name, { config: c, state: c.kind === 'local' ? 'up' : 'unknown', models: [], ...(backend ? { backend } : {}) });
    }
    clearInterval(this.timer);
    this.timer = undefined;
    if ([...this.entries.values()].some((e) => e.backend)) {
      for (const e of this.entries.values()) void this.probe(e);
      this.timer = setInterval(() => {
        for (const e of this.entries.values()) if (e.backend && e.state !== 'up') void this.probe(e);
      }, PROBE_EVERY_MS);
      this.timer.unref();
    }
  }

  private probe(e: Entry): Promise<void> {
    if (!e.backend) return Promise.resolve();
    e.probing ??= e.backend.listModels().then(
      (models) => {
        const was = e.state;
        e.models = models;
        e.state = 'up';
        delete e.error;
        if (was !== 'up') {
          this.log(`backend "${e.config.name}" is up (${models.length} models)`);
          this.jobs.wake();
        }
      },
      (err: Error) => {
        if (e.state !== 'down') this.log(`backend "${e.config.name}" is down: ${err.message}`);
        e.state = 'down';
        e.error = err.message;
      },
    ).finally(() => (e.probing = undefined));
    return e.probing;
  }

  /** The job's backend went away: mark it down (the probe timer brings it back). */
  lost(name: string, why: string): void {
    const e = this.entries.get(name);
    if (e && e.backend) {
      e.state = 'down';
      e.error = why;
    }
  }

  /**
   * The lanes a job may run on, checked when it is submitted (an unknown `backend` is the caller's error) and
   * asked again whenever it waits. An engine not reached yet counts as a candidate: running there checks it.
   */
  lanesFor(params: Img2ImgParams): LaneChooser {
    this.sync();
    if (this.entries.size === 0) {
      if (params.backend !== undefined && params.backend !== LOCAL_LANE) throw invalidParam('backend', `no backend named "${params.backend}": the backends setting is empty`, 'local');
      return () => [LOCAL_LANE];
    }
    if (params.backend !== undefined && !this.entries.has(params.backend)) {
      throw invalidParam('backend', `no backend named "${params.backend}"`, [...this.entries.keys()].join(' | '));
    }
    const wanted = modelKey(params.model || this.settings().model || '');
    return () => {
      this.sync();
      return [...this.entries.values()]
        .filter((e) => (params.backend === undefined || e.config.name === params.backend) && e.state !== 'down')
        .filter((e) => !e.backend || !wanted || e.state === 'unknown' || e.models.some((m) => modelKey(m) === wanted))
        .map((e) => (e.backend ? e.config.name : LOCAL_LANE));
    };
  }

  /** Lanes for a job that runs here unless it names a backend (extras: no model to match). */
  lanesForNamed(backend: string | undefined): LaneChooser {
    if (backend === undefined || backend === LOCAL_LANE) return () => [LOCAL_LANE];
    this.sync();
    const e = this.entries.get(backend);
    if (!e) throw invalidParam('backend', `no backend named "${backend}"`, [LOCAL_LANE, ...this.entries.keys()].join(' | '));
    return () => (e.state === 'down' ? [] : [e.backend ? e.config.name : LOCAL_LANE]);
  }

  /** The remote engine of a lane; undefined for the local worker. */
  remote(lane: string): RemoteBackend | undefined {
    return this.entries.get(lane)?.backend;
  }

  async status(): Promise<BackendStatus[]> {
    this.sync();
    await Promise.all([...this.entries.values()].map((e) => this.probe(e)));
    return [...this.entries.values()].map((e) => ({
      name: e.config.name, kind: e.config.kind, ...(e.config.url ? { url: e.config.url } : {}), state: e.state,
      busy: this.jobs.busy(e.backend ? e.config.name : LOCAL_LANE), models: e.models, ...(e.error ? { error: e.error } : {}),
    }));
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const e of this.entries.values()) e.backend?.dispose();
  }
}
