import { services } from '../services';
import { runBatch } from '../pipelines/batch';
import { runOutpaint } from '../pipelines/outpaint';
import type { DaemonServer } from '../server';
import { modelHashForFolder } from '../modelHash';

/** `sd/outpaint` and `sd/batch`: jobs on the one worker (inpainting itself is `sd/img2img` with a mask). */
export function registerInpaintHandlers(server: DaemonServer): void {
  const { models } = services(server);
  const deps = (settings: typeof server.settings) => ({ models, settings, modelHash: modelHashForFolder });
  server.onJobRequest('sd/outpaint', 'outpaint', (params, ctx) => runOutpaint(params, ctx.job, deps(ctx.settings)));
  server.onJobRequest('sd/batch', 'batch', (params, ctx) => runBatch(params, ctx.job, deps(ctx.settings)));
}
