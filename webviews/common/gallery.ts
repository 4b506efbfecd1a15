// The result gallery: thumbnails, a large view of the selected image, and its buttons (send to img2img / inpaint /
// extras, save as .sdprompt, PNG info, open, reveal). Every button is an intent the host carries out.
import { button, clear, h } from './dom';
import type { ResultView, SendTarget } from './messages';
import { request } from './vscodeApi';

export interface Gallery {
  el: HTMLElement;
  show(results: ResultView[], selected?: number): void;
  setLive(src: string | undefined, caption?: string): void;
}

export function gallery(onSelect: (index: number) => void, status: (text: string, error?: boolean) => void): Gallery {
  const big = h('img', { class: 'gallery-main', id: 'gallery-main', attrs: { alt: 'Selected result' } });
  const caption = h('div', { class: 'gallery-caption', id: 'gallery-caption' });
  const strip = h('div', { class: 'gallery-strip', id: 'gallery-strip', attrs: { role: 'listbox', 'aria-label': 'Results' } });
  const actions = h('div', { class: 'toolbar gallery-actions' });
  const empty = h('div', { class: 'empty', text: 'Results appear here.' });
  const el = h('div', { class: 'gallery', id: 'gallery' }, h('div', { class: 'gallery-view' }, big, empty), caption, actions, strip);
  let results: ResultView[] = [];
  let sel = 0;

  const act = (label: string, icon: string, fn: (r: ResultView) => Promise<unknown>, opts: { needsPath?: boolean; id: string }) => {
    const b = button(label, async () => {
      const r = results[sel];
      if (!r) return;
      try {
        const out = await fn(r);
        if (typeof out === 'string') status(`Saved ${out}`);
      } catch (e) {
        status(e instanceof Error ? e.message : String(e), true);
      }
    }, { icon, id: opts.id });
    b.dataset.needsPath = opts.needsPath ? '1' : '';
    return b;
  };
  const send = (target: SendTarget) => (r: ResultView) => request('sendTo', { target, image: r.image, infotext: r.infotext });
  actions.append(
    act('img2img', 'arrow-right', send('img2img'), { id: 'send-img2img' }),
    act('Inpaint', 'arrow-right', send('inpaint'), { id: 'send-inpaint' }),
    act('Extras', 'arrow-right', send('extras'), { id: 'send-extras' }),
    act('Save .sdprompt', 'save', (r) => request('saveSpec', { infotext: r.infotext, image: r.image }), { id: 'save-spec' }),
    act('PNG info', 'info', (r) => request('openPngInfo', { image: r.image }), { needsPath: true, id: 'open-pnginfo' }),
    act('Open', 'go-to-file', (r) => request('openImage', { image: r.image }), { needsPath: true, id: 'open-image' }),
    act('Reveal', 'folder-opened', (r) => request('reveal', { image: r.image }), { needsPath: true, id: 'reveal-image' }),
  );

  const render = () => {
    clear(strip);
    results.forEach((r, i) => {
      const t = h('img', { class: `thumb${i === sel ? ' selected' : ''}`, attrs: { alt: `seed ${r.seed}`, role: 'option', tabindex: '0', src: r.image.src } });
      t.addEventListener('click', () => { sel = i; onSelect(i); render(); });
      strip.append(t);
    });
    const r = results[sel];
    empty.hidden = !!r;
    big.hidden = !r;
    actions.hidden = !r;
    if (r) {
      big.src = r.image.src;
      caption.textContent = `${r.image.name} · seed ${r.seed}${r.image.width ? ` · ${r.image.width}×${r.image.height}` : ''}${r.backend ? ` · made on ${r.backend}` : ''}`;
      for (const b of Array.from(actions.querySelectorAll<HTMLButtonElement>('button'))) {
        b.disabled = b.dataset.needsPath === '1' && !r.image.path;
        if (b.disabled) b.title = 'Only for images saved inside the workspace or output folder';
      }
    } else caption.textContent = '';
  };
  return {
    el,
    show(r, s = 0) { results = r; sel = Math.min(s, Math.max(0, r.length - 1)); render(); },
    setLive(src, cap) {
      if (src) { big.hidden = false; empty.hidden = true; big.src = src; caption.textContent = cap ?? 'live preview'; }
      else render();
    },
  };
}
