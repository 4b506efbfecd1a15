import { runImg2Img } from '../pipelines/img2img';
import { runSdPrompt } from '../pipelines/sdpromptRun';
import type { DaemonServer } from '../server';
import type { Services } from '../services';
import { pipelineDeps } from './pipelineDeps';

/** `sd/img2img` and `sd/sdprompt.run`: one job per request, on the one worker. Models stay loaded between jobs. */
export function registerGenerationHandlers(server: DaemonServer, services: Services): void {
  server.onJobRequest('sd/img2img', 'img2img', (params, ctx) => runImg2Img(params, ctx.job, pipelineDeps(services, ctx.settings)));
  server.onJobRequest('sd/sdprompt.run', 'sdprompt', (params, ctx) => runSdPrompt(params, ctx.job, pipelineDeps(services, ctx.settings)));
}
