import { services } from '../services';
import { runImg2Img } from '../pipelines/img2img';
import type { DaemonServer } from '../server';
import { modelHashForFolder } from '../modelHash';

/** `sd/img2img`: one job per request, on the one worker. Models stay loaded between jobs. */
export function registerGenerationHandlers(server: DaemonServer): void {
  const { models } = services(server);
  server.onJobRequest('sd/img2img', 'img2img', (params, ctx) =>
    runImg2Img(params, ctx.job, { models, settings: ctx.settings, modelHash: modelHashForFolder }),
  );
}
