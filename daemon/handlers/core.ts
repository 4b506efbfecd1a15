import { invalidParam } from '../errors';
import { META_LIMITS } from '../infotext/limits';
import { paramsFromInfotext } from '../infotext/pasteParams';
import { samplerCatalog, schedulerNames } from '../sampling';
import { FEW_STEP_PRESETS } from '../sampling/presets';
import type { DaemonServer } from '../server';
import { checkSettingsPatch } from '../settings';

/** Jobs, settings, the sampler catalog and infotext parsing. */
export function registerCoreHandlers(server: DaemonServer): void {
  server.onRequest('sd/job.cancel', (params) => {
    if (typeof params.jobId !== 'string') throw invalidParam('jobId', 'expected a job id string');
    const info = server.jobs.cancel(params.jobId);
    if (!info) throw invalidParam('jobId', `no job with id "${params.jobId}"`);
    return info;
  });
  server.onRequest('sd/job.skip', (params) => {
    if (typeof params.jobId !== 'string') throw invalidParam('jobId', 'expected a job id string');
    const info = server.jobs.skip(params.jobId);
    if (!info) throw invalidParam('jobId', `no job with id "${params.jobId}"`);
    return info;
  });
  server.onRequest('sd/jobs.list', () => ({ jobs: server.jobs.list() }));
  server.onRequest('sd/settings.update', (params) => server.updateSettings(checkSettingsPatch(params.settings)));
  server.onRequest('sd/samplers.list', () => ({ samplers: samplerCatalog(), schedulers: [...schedulerNames], presets: [...FEW_STEP_PRESETS] }));
  server.onRequest('sd/infotext.parse', (params) => {
    if (typeof params.text !== 'string') throw invalidParam('text', 'expected the infotext as a string');
    if (params.text.length > META_LIMITS.maxInfotext) throw invalidParam('text', `${params.text.length} characters is over the ${META_LIMITS.maxInfotext} an infotext may have`);
    return paramsFromInfotext(params.text);
  });
}
