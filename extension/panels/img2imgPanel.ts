// The img2img panel: source image, prompts with token counters, every Img2ImgParams field, Generate / Interrupt,
// progress with live previews, and a gallery with send-to buttons. Logic lives in the daemon and generationIntents.ts.
import type { PanelDef } from './singletonPanel';
import { generationPanelDef, type SendToRouter } from './generationIntents';

export const IMG2IMG_VIEW = 'sdStudio.img2img';

export const img2imgPanel = (sendTo: SendToRouter): PanelDef => generationPanelDef('img2img', IMG2IMG_VIEW, 'img2img', sendTo);
