import { SessionPool } from '../models/sessions';
import { ModelManager } from './parts/sdModel';
import type { DaemonServer } from './server';
import { physicalCores } from './settings';
import { configureFaceRestoration } from './extras/faceRestore';

/** Long-lived things the handlers share: one loaded SD model (GBs) for every pipeline, one session pool for faces. */
export interface Services {
  models: ModelManager;
}

const perServer = new WeakMap<DaemonServer, Services>();

export function services(server: DaemonServer): Services {
  let s = perServer.get(server);
  if (!s) {
    const warn = (message: string): void => server.log(`warning: ${message}`);
    const models = new ModelManager(() => server.settings.executionProvider, () => server.settings.threads, warn);
    const facePool = new SessionPool({ provider: server.settings.executionProvider, threads: server.settings.threads || physicalCores() }, warn);
    configureFaceRestoration({ pool: facePool });
    server.connection.onShutdown(async () => {
      await models.dispose();
      await facePool.disposeAll();
    });
    s = { models };
    perServer.set(server, s);
  }
  return s;
}
