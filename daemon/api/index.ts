// A1111's HTTP API on the daemon: the route table on Node's http server, every request mapped to the daemon's
// own handlers (job methods queue on its job queue, one at a time, as A1111's queue_lock does).
import type { DaemonServer } from '../server';
import type { Services } from '../services';
import type { ApiContext } from './context';
import { startHttpApi, type HttpApiOptions, type RunningHttpApi } from './http';
import { ApiOptions } from './options';
import { ProgressTracker } from './progress';
import { apiRoutes } from './routes';

export { ApiConfigError, type HttpApiOptions } from './http';

export async function startApi(server: DaemonServer, services: Services, opts: HttpApiOptions): Promise<RunningHttpApi> {
  const progress = new ProgressTracker();
  const events = server.onNotify((method, p) => {
    if (method === 'sd/job.state') progress.onState(p as never);
    else if (method === 'sd/job.progress') progress.onProgress(p as never);
    else if (method === 'sd/job.preview') progress.onPreview(p as never);
  });
  const api: ApiContext = {
    server,
    services,
    progress,
    options: new ApiOptions({ settings: () => server.settings, update: (patch) => void server.updateSettings(patch) }),
  };
  try {
    const running = await startHttpApi(apiRoutes(api), opts, (m) => server.log(m));
    return {
      ...running,
      close: async () => {
        events.dispose();
        await running.close();
      },
    };
  } catch (e) {
    events.dispose();
    throw e;
  }
}
