// The inpaint panel: img2img plus the mask painter (in the webview) and the inpaint options; the mask reaches the
// daemon as PNG bytes in `mask`, blur and crop are the daemon's job.
import { panelDefaults } from '../config';
import type { PanelDef } from './singletonPanel';
import { generationOps, type SendToRouter } from './generationIntents';
import { jobTracker } from './panelJobs';

export const INPAINT_VIEW = 'sdStudio.inpaint';

export function inpaintPanel(sendTo: SendToRouter): PanelDef {
  return {
    viewType: INPAINT_VIEW,
    kind: 'inpaint',
    title: 'Inpaint',
    initFields: () => ({ defaults: panelDefaults() }),
    handlers(ctx, host) {
      const jobs = jobTracker(ctx);
      return { handlers: generationOps(ctx, host, 'inpaint', jobs, sendTo), onDispose: () => jobs.cancelAll() };
    },
  };
}
