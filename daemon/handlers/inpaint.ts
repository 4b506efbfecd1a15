import { runBatch } from '../pipelines/batch';
import { runOutpaint } from '../pipelines/outpaint';
import type { DaemonServer } from '../server';
import type { Services } from '../services';
import { pipelineDeps } from './pipelineDeps';

/** `sd/outpaint` and `sd/batch`: jobs on the one worker (inpainting itself is `sd/img2img` with a mask). */
export function registerInpaintHandlers(server: DaemonServer, services: Services): void {
  server.onJobRequest('sd/outpaint', 'outpaint', (params, ctx) => runOutpaint(params, ctx.job, pipelineDeps(services, ctx.settings)));
  server.onJobRequest('sd/batch', 'batch', (params, ctx) => runBatch(params, ctx.job, pipelineDeps(services, ctx.settings)));
}
