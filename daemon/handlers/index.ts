import type { DaemonServer } from '../server';
import { registerCoreHandlers } from './core';
import { registerGenerationHandlers } from './generation';
import { registerPngInfoHandlers } from './pngInfo';
import { registerModelsHandlers } from './models';
import { registerPromptHandlers } from './prompt';
import { registerConvertOnnxHandlers } from './convertOnnx';
import { registerExtrasHandlers } from './extras';
import { registerLanguageFeatures } from '../language';
import { registerInpaintHandlers } from './inpaint';

/** Every area registers its protocol methods here: one line each. */
export function registerHandlers(server: DaemonServer): void {
  registerCoreHandlers(server);
  registerGenerationHandlers(server);
  registerModelsHandlers(server);
  registerPngInfoHandlers(server);
  registerPromptHandlers(server);
  registerExtrasHandlers(server);
  registerLanguageFeatures(server); // .sdprompt language server (daemon/language)
  registerConvertOnnxHandlers(server);
  registerInpaintHandlers(server);
  // <handlers>
}
