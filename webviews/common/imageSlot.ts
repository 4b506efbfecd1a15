// Image input: drop a file, paste from the clipboard, or pick from disk / the active editor (through the host).
// Bytes the webview reads itself travel as ArrayBuffer; images from the host come as ImageView (URI or data URL).
import { button, h } from './dom';
import type { ImageInput, ImageView } from './messages';
import { request } from './vscodeApi';

export interface ImageSlot {
  el: HTMLElement;
  set(view: ImageView | undefined): void;
  input(): ImageInput | undefined;
}

async function fileToView(file: File): Promise<{ view: ImageView; bytes: ArrayBuffer }> {
  const bytes = await file.arrayBuffer();
  const b64 = btoa(Array.from(new Uint8Array(bytes), (c) => String.fromCharCode(c)).join(''));
  return { view: { name: file.name || 'pasted.png', src: `data:${file.type || 'image/png'};base64,${b64}` }, bytes };
}

/** A drop zone with Pick / From editor / Clear buttons; `changed` runs with the new view. */
export function imageSlot(label: string, changed: (v: ImageView | undefined) => void, opts: { id: string } = { id: 'source' }): ImageSlot {
  let current: ImageView | undefined;
  const img = h('img', { class: 'slot-image', attrs: { alt: label } });
  const empty = h('div', { class: 'slot-empty' }, h('span', { text: `Drop, paste or pick ${label.toLowerCase()}` }));
  const info = h('div', { class: 'slot-info' });
  const zone = h('div', { class: 'slot-zone', id: `${opts.id}-zone`, attrs: { tabindex: '0', role: 'button', 'aria-label': `${label}: drop or paste an image` } }, img, empty);
  const set = (v: ImageView | undefined) => {
    current = v;
    img.hidden = !v;
    empty.hidden = !!v;
    if (v) img.src = v.src;
    else img.removeAttribute('src');
    info.textContent = v ? v.name + (v.width ? ` · ${v.width}×${v.height}` : '') : '';
  };
  img.addEventListener('load', () => {
    if (current && !current.width) info.textContent = `${current.name} · ${img.naturalWidth}×${img.naturalHeight}`;
  });
  const take = async (file: File | undefined | null) => {
    if (!file || !file.type.startsWith('image/')) return;
    const { view } = await fileToView(file);
    set(view);
    changed(view);
  };
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('drag'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('drag'));
  zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('drag'); void take(e.dataTransfer?.files[0]); });
  zone.addEventListener('paste', (e) => void take(Array.from(e.clipboardData?.files ?? [])[0]));
  const pick = button('Pick…', async () => {
    const [v] = await request('pickImages', { many: false });
    if (v) { set(v); changed(v); }
  }, { id: `${opts.id}-pick`, icon: 'folder-opened', title: 'Pick an image file' });
  const fromEditor = button('From editor', async () => {
    const v = await request('activeEditorImage', {});
    if (v) { set(v); changed(v); }
  }, { icon: 'file-media', title: 'Use the image open in the active editor' });
  const clearBtn = button('', () => { set(undefined); changed(undefined); }, { icon: 'close', kind: 'icon', title: `Remove the ${label.toLowerCase()}` });
  set(undefined);
  const el = h('div', { class: 'slot' }, h('div', { class: 'slot-head' }, h('span', { class: 'label', text: label }), h('span', { class: 'spacer' }), pick, fromEditor, clearBtn), zone, info);
  return { el, set, input: () => (current ? { view: current } : undefined) };
}

/** Read any File the user gives (used by the mask upload). */
export async function readFileAsView(file: File): Promise<ImageView> {
  return (await fileToView(file)).view;
}
