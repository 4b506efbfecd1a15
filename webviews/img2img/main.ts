// img2img panel: an image slot as the source, the shared generation body.
import '../common/style.css';
import { generationPanel } from '../common/generationPanel';
import { imageSlot } from '../common/imageSlot';
import type { ImageView } from '../common/messages';

let current: ImageView | undefined;
const slot = imageSlot('Source image', (v) => { current = v; });
generationPanel('img2img', {
  el: slot.el,
  setImage: (v) => { current = v; slot.set(v); },
  image: () => current,
  inputs: async () => ({ init: current ? { view: current } : undefined }),
});
