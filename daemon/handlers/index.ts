import type { DaemonServer } from '../server';
import { registerCoreHandlers } from './core';
import { registerGenerationHandlers } from './generation';
import { registerPngInfoHandlers } from './pngInfo';
import { registerModelsHandlers } from './models';
import { registerPromptHandlers } from './prompt';

/** Every area registers its protocol methods here: one line each. */
export function registerHandlers(server: DaemonServer): void {
  registerCoreHandlers(server);
  registerGenerationHandlers(server);
  registerModelsHandlers(server);
  registerPngInfoHandlers(server);
  registerPromptHandlers(server);
  // <handlers>
}
