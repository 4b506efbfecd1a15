import type { DaemonServer } from '../server';
import type { Services } from '../services';
import { BackendRouter } from '../backends/router';
import { registerCoreHandlers } from './core';
import { registerGenerationHandlers } from './generation';
import { registerPngInfoHandlers } from './pngInfo';
import { registerModelsHandlers } from './models';
import { registerPromptHandlers } from './prompt';
import { registerConvertOnnxHandlers } from './convertOnnx';
import { registerExtrasHandlers } from './extras';
import { registerLanguageFeatures } from '../language';
import { registerInpaintHandlers } from './inpaint';
import { registerStylesHandlers } from './styles';
import { registerScriptHandlers } from './scripts';
import { registerApiHandlers } from './api';
import { registerCacheHandlers } from './cache';
import { registerInterrogateHandlers } from './interrogate';
import { registerAestheticHandlers } from './aesthetic';
import { registerModelInfoHandler } from './modelInfo';
import { registerGpuHandlers } from './gpu';

/** Every area registers its protocol methods here: one line each. `services` holds what they share. */
export function registerHandlers(server: DaemonServer, services: Services): void {
  // Remote engines (the `backends` setting), shared by generation and extras jobs.
  const router = new BackendRouter(() => server.settings, server.jobs, (m) => server.log(m));
  server.onShutdown(() => router.dispose());
  registerCoreHandlers(server);
  registerGenerationHandlers(server, services, router);
  registerModelsHandlers(server);
  registerPngInfoHandlers(server, services);
  registerPromptHandlers(server, services);
  registerExtrasHandlers(server, services, router);
  registerLanguageFeatures(server, services); // .sdprompt language server (daemon/language)
  registerConvertOnnxHandlers(server);
  registerInpaintHandlers(server, services);
  registerStylesHandlers(server);
  registerScriptHandlers(server, services);
  registerApiHandlers(server, services);
  registerCacheHandlers(server, services);
  registerInterrogateHandlers(server, services);
  registerAestheticHandlers(server, services);
  registerModelInfoHandler(server);
  registerGpuHandlers(server);
  // <handlers>
}
