// A1111's 📎 Interrogate CLIP and 📦 Interrogate DeepBooru buttons: describe the source image and put the text in
// the prompt box (the daemon runs `sd/interrogate`; the host passes the image and the sdStudio.interrogate.* settings).
import { button, h } from './dom';
import type { ImageInput } from './messages';
import { request } from './vscodeApi';

export function interrogateButtons(source: () => Promise<ImageInput | undefined>, setPrompt: (text: string) => void, say: (text: string, error?: boolean) => void): HTMLElement {
  const run = async (method: 'clip' | 'deepbooru', b: HTMLButtonElement): Promise<void> => {
    const image = await source();
    if (!image) {
      say('Load a source image to interrogate first.', true);
      return;
    }
    b.disabled = true;
    say(method === 'clip' ? 'Interrogating (BLIP caption + CLIP)…' : 'Interrogating (DeepBooru)…');
    try {
      const r = await request('interrogate', { image, method });
      if (r) {
        setPrompt(r.caption);
        say('');
      } else say('Interrogation cancelled.', true);
    } catch (e) {
      say(e instanceof Error ? e.message : String(e), true);
    } finally {
      b.disabled = false;
    }
  };
  // A1111's 📎 and 📦, drawn with codicons (emoji fonts are missing on many Linux desktops).
  const clip: HTMLButtonElement = button('CLIP', () => void run('clip', clip), { id: 'interrogate-clip', icon: 'attach', title: '📎 Interrogate CLIP: describe the source image (BLIP caption + CLIP ranking) into the prompt' });
  const deepbooru: HTMLButtonElement = button('DeepBooru', () => void run('deepbooru', deepbooru), { id: 'interrogate-deepbooru', icon: 'package', title: '📦 Interrogate DeepBooru: tag the source image into the prompt' });
  return h('span', { class: 'interrogate' }, clip, deepbooru);
}
