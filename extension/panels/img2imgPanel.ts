// The img2img panel: source image, prompts with token counters, every Img2ImgParams field, Generate / Interrupt,
// progress with live previews, and a gallery with send-to buttons. Logic lives in the daemon and generationIntents.ts.
import { panelDefaults } from '../config';
import type { PanelDef } from './singletonPanel';
import { generationOps, type SendToRouter } from './generationIntents';
import { jobTracker } from './panelJobs';

export const IMG2IMG_VIEW = 'sdStudio.img2img';

export function img2imgPanel(sendTo: SendToRouter): PanelDef {
  return {
    viewType: IMG2IMG_VIEW,
    kind: 'img2img',
    title: 'img2img',
    initFields: () => ({ defaults: panelDefaults() }),
    handlers(ctx, host) {
      const jobs = jobTracker(ctx);
      return { handlers: generationOps(ctx, host, 'img2img', jobs, sendTo), onDispose: () => jobs.cancelAll() };
    },
  };
}
