import { invalidParam } from '../errors';
import { LOCAL_LANE } from '../jobs';
import { runBatch } from '../pipelines/batch';
import { runOutpaint } from '../pipelines/outpaint';
import type { DaemonServer } from '../server';
import type { Services } from '../services';
import { pipelineDeps } from './pipelineDeps';

/** `sd/outpaint` and `sd/batch`: jobs on the one worker (inpainting itself is `sd/img2img` with a mask). */
export function registerInpaintHandlers(server: DaemonServer, services: Services): void {
  // Outpainting and folder batches run here: their canvases and file walks are this daemon's own stages.
  const localOnly = (backend: string | undefined): void => {
    if (backend !== undefined && backend !== LOCAL_LANE) throw invalidParam('backend', `outpaint and batch jobs run on this machine; "${backend}" is for sd/img2img jobs`, LOCAL_LANE);
  };
  server.onJobRequest('sd/outpaint', 'outpaint', (params, ctx) => (localOnly(params.backend), runOutpaint(params, ctx.job, pipelineDeps(services, ctx.settings))));
  server.onJobRequest('sd/batch', 'batch', (params, ctx) => (localOnly(params.params?.backend), runBatch(params, ctx.job, pipelineDeps(services, ctx.settings))));
}
