import type { BackendRouter } from '../backends/router';
import { BackendLostError } from '../errors';
import { runImg2Img } from '../pipelines/img2img';
import { runSdPrompt } from '../pipelines/sdpromptRun';
import type { DaemonServer } from '../server';
import type { Services } from '../services';
import { pipelineDeps } from './pipelineDeps';

/**
 * `sd/img2img`: one job per request. Models stay loaded between jobs. With backends configured the job runs on
 * the least busy engine that has its model (the daemon's own worker, or a remote one), and `sd/backends.list`
 * says which are up.
 */
export function registerGenerationHandlers(server: DaemonServer, services: Services, router: BackendRouter): void {
  server.onJobRequest(
    'sd/img2img',
    'img2img',
    async (params, ctx) => {
      const lane = ctx.job.lane;
      const remote = router.remote(lane);
      if (!remote) return { ...(await runImg2Img(params, ctx.job, pipelineDeps(services, ctx.settings))), backend: lane };
      try {
        return await remote.generate(params, ctx.job, ctx.settings);
      } catch (e) {
        if (e instanceof BackendLostError) router.lost(lane, e.message);
        throw e;
      }
    },
    (params) => router.lanesFor(params),
  );
  server.onJobRequest('sd/sdprompt.run', 'sdprompt', (params, ctx) => runSdPrompt(params, ctx.job, pipelineDeps(services, ctx.settings)));
  server.onRequest('sd/backends.list', async () => ({ backends: await router.status() }));
}
