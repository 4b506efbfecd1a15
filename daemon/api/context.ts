import type { DaemonServer } from '../server';
import type { ApiOptions } from './options';
import type { ProgressTracker } from './progress';

/** What every endpoint works with: the daemon (its handlers and job queue), the options, the progress state. */
export interface ApiContext {
  server: DaemonServer;
  options: ApiOptions;
  progress: ProgressTracker;
}
