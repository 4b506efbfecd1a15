import { ModelManager } from '../parts/sdModel';
import { runImg2Img } from '../pipelines/img2img';
import type { DaemonServer } from '../server';
import { modelHashForFolder } from '../modelHash';

/** `sd/img2img`: one job per request, on the one worker. Models stay loaded between jobs. */
export function registerGenerationHandlers(server: DaemonServer): void {
  const models = new ModelManager(
    () => server.settings.executionProvider,
    () => server.settings.threads,
    (message) => server.log(`warning: ${message}`),
  );
  server.connection.onShutdown(() => models.dispose());
  server.onJobRequest('sd/img2img', 'img2img', (params, ctx) =>
    runImg2Img(params, ctx.job, { models, settings: ctx.settings, modelHash: modelHashForFolder }),
  );
}
