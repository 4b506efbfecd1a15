// The inpaint panel: img2img plus the mask painter (in the webview) and the inpaint options; the mask reaches the
// daemon as PNG bytes in `mask`, blur and crop are the daemon's job.
import type { PanelDef } from './singletonPanel';
import { generationPanelDef, type SendToRouter } from './generationIntents';

export const INPAINT_VIEW = 'sdStudio.inpaint';

export const inpaintPanel = (sendTo: SendToRouter): PanelDef => generationPanelDef('inpaint', INPAINT_VIEW, 'Inpaint', sendTo);
