import type { DaemonServer } from '../server';
import type { Services } from '../services';
import type { ApiOptions } from './options';
import type { ProgressTracker } from './progress';

/** What every endpoint works with: the daemon (its handlers and job queue), the options, the progress state. */
export interface ApiContext {
  server: DaemonServer;
  /** The daemon's shared caches (embedding databases, the LoRA index). */
  services: Services;
  options: ApiOptions;
  progress: ProgressTracker;
}
