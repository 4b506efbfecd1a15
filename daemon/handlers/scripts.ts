import { listUpscalers } from '../extras/upscalerRegistry';
import { listVaeFiles } from '../modelFiles/sdVae';
import { readStyles, stylesFilePath } from '../modelFiles/styles';
import { modelFiles } from '../../models/registry';
import { runPromptMatrix, runPromptsFromFile } from '../pipelines/promptScripts';
import { runXyz } from '../pipelines/xyz';
import type { DaemonSettings, XyzAxisInfo } from '../protocol';
import { samplerCatalog, schedulerNames } from '../sampling';
import { AXIS_OPTIONS } from '../scripts/xyzAxes';
import type { DaemonServer } from '../server';
import type { Services } from '../services';
import { LATENT_UPSCALE_MODES } from '../validate';
import { pipelineDeps } from './pipelineDeps';

/** The values A1111's "fill" button offers per axis. */
function choices(label: string, s: DaemonSettings): string[] | undefined {
  const safe = (f: () => string[]): string[] => {
    try {
      return f();
    } catch {
      return [];
    }
  };
  switch (label) {
    case 'Sampler':
    case 'Hires sampler': return samplerCatalog().map((x) => x.name);
    case 'Schedule type': return [...schedulerNames];
    case 'Checkpoint name': return safe(() => [...modelFiles(s.modelsRoot, 'checkpoint')].map((f) => f.name));
    case 'VAE': return ['Automatic', 'None', ...safe(() => [...listVaeFiles(s.modelsRoot).keys()])];
    case 'Styles': return safe(() => { const f = stylesFilePath(s.stylesFile, s.modelsRoot); return f ? readStyles(f).map((x) => x.name) : []; });
    case 'Hires upscaler': return [...Object.keys(LATENT_UPSCALE_MODES), ...safe(() => listUpscalers(s.modelsRoot).map((u) => u.name))];
    case 'RNG source': return ['GPU', 'CPU', 'NV'];
    case 'Face restore': return ['True', 'False'];
    default: return undefined;
  }
}

/** `sd/xyz`, `sd/promptMatrix`, `sd/promptsFromFile` (jobs) and `sd/xyz.axes`. */
export function registerScriptHandlers(server: DaemonServer, services: Services): void {
  server.onJobRequest('sd/xyz', 'xyz', (params, ctx) => runXyz(params, ctx.job, pipelineDeps(services, ctx.settings)));
  server.onJobRequest('sd/promptMatrix', 'promptMatrix', (params, ctx) => runPromptMatrix(params, ctx.job, pipelineDeps(services, ctx.settings)));
  server.onJobRequest('sd/promptsFromFile', 'promptsFromFile', (params, ctx) => runPromptsFromFile(params, ctx.job, pipelineDeps(services, ctx.settings)));
  server.onRequest('sd/xyz.axes', (params, ctx) => {
    const tab = params?.tab;
    const axes: XyzAxisInfo[] = AXIS_OPTIONS.filter((o) => !tab || !o.tab || o.tab === tab).map((o) => {
      const c = choices(o.label, ctx.settings);
      return { label: o.label, type: o.type, ...(o.tab ? { tab: o.tab } : {}), ...(c ? { choices: c } : {}) };
    });
    return { axes };
  });
}
