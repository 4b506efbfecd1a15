import { ApiConfigError, startApi } from '../api';
import { invalidParam } from '../errors';
import type { ApiStatus } from '../protocol';
import type { DaemonServer } from '../server';
import type { Services } from '../services';

/** `sd/api.start` / `sd/api.stop`: A1111's HTTP API on this daemon (the extension's `sdStudio.api.enabled`). */
export function registerApiHandlers(server: DaemonServer, services: Services): void {
  let running: Awaited<ReturnType<typeof startApi>> | undefined;
  const stop = async (): Promise<ApiStatus> => {
    const r = running;
    running = undefined;
    await r?.close();
    return { running: false };
  };
  server.onRequest('sd/api.start', async (params) => {
    if (params.port !== undefined && (!Number.isInteger(params.port) || params.port < 0 || params.port > 65535)) throw invalidParam('port', `expected a port number, got ${JSON.stringify(params.port)}`, '0..65535');
    await stop();
    try {
      running = await startApi(server, services, { port: params.port ?? 7860, listen: params.listen === true, ...(params.auth ? { auth: params.auth } : {}), ...(params.corsOrigins ? { corsOrigins: params.corsOrigins } : {}) });
    } catch (e) {
      if (e instanceof ApiConfigError) throw invalidParam(params.listen ? 'auth' : 'port', e.message);
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw invalidParam('port', `port ${params.port ?? 7860} is in use`);
      throw e;
    }
    server.log(`A1111 API on ${running.url}/sdapi/v1`);
    return { running: true, url: running.url };
  });
  server.onRequest('sd/api.stop', () => stop());
  server.onShutdown(() => void stop());
}
