// Extras panel: single image / batch / folder; upscaler 1 and 2 with visibility, scale by / to, face restorer with
// visibility and weight; a before/after slider. The daemon upscales; this page only asks.
import '../common/style.css';
import { button, clear, fields, type FormValues, h, section } from '../common/dom';
import { imageSlot } from '../common/imageSlot';
import type { ExtrasOptions, HostMessage, ImageView } from '../common/messages';
import { progressBar } from '../common/progress';
import { getState, onMessage, ready, request, setState } from '../common/vscodeApi';

interface Saved { form: FormValues; image?: ImageView; batch: ImageView[]; folder?: ImageView; result?: { before: ImageView[]; after: ImageView[] } }
const saved = getState<Saved>();
const values: FormValues = {
  mode: 'single', resize_mode: 0, upscaling_resize: 2, upscaling_resize_w: 1024, upscaling_resize_h: 1024, upscaling_crop: true,
  upscaler_1: 'None', upscaler_2: 'None', extras_upscaler_2_visibility: 0, gfpgan_visibility: 0,
  codeformer_visibility: 0, codeformer_weight: 0.5, ...(saved?.form ?? {}),
};
let image = saved?.image;
let batch: ImageView[] = saved?.batch ?? [];
let folder = saved?.folder;
let upscalers: string[] = [...new Set(['None', String(values.upscaler_1), String(values.upscaler_2)])];
let result = saved?.result;
// results survive hide/show and reloads; a huge inline "before" (a dropped file) is not kept in the state
const slim = (v: ImageView): ImageView => (v.src.length > 1_500_000 ? { ...v, src: '' } : v);
const save = () => setState<Saved>({ form: values, image, batch, folder, result: result && { before: result.before.map(slim), after: result.after } });

const app = document.getElementById('app')!;
const slot = imageSlot('Source image', (v) => { image = v; save(); }, { id: 'extras-source' });
slot.set(image);
const batchList = h('ul', { class: 'file-list', id: 'batch-list' });
const renderBatch = () => { clear(batchList); for (const b of batch) batchList.append(h('li', { text: b.name })); };
const folderLabel = h('div', { class: 'muted', id: 'folder-label' });
const sources = {
  single: slot.el,
  batch: h('div', {}, h('div', { class: 'toolbar' }, button('Add images…', async () => { batch = [...batch, ...(await request('pickImages', { many: true }))]; renderBatch(); save(); }, { id: 'batch-add' }), button('Clear', () => { batch = []; renderBatch(); save(); })), batchList),
  folder: h('div', {}, h('div', { class: 'toolbar' }, button('Input folder…', async () => { [folder] = await request('pickImages', { many: false, folder: true }); folderLabel.textContent = folder?.name ?? ''; save(); }, { id: 'folder-pick' })), folderLabel),
};
renderBatch();
folderLabel.textContent = folder?.name ?? 'No folder chosen';
const sourceHolder = h('div', {});
const tabs = h('div', { class: 'tabs', attrs: { role: 'tablist' } });
const showMode = () => {
  sourceHolder.replaceChildren(sources[values.mode as keyof typeof sources]);
  for (const t of Array.from(tabs.children)) t.setAttribute('aria-selected', String((t as HTMLElement).dataset.mode === values.mode));
};
for (const [mode, label] of [['single', 'Single image'], ['batch', 'Batch process'], ['folder', 'Batch from directory']] as const) {
  const t = button(label, () => { values.mode = mode; showMode(); save(); }, { id: `mode-${mode}` });
  t.dataset.mode = mode;
  t.setAttribute('role', 'tab');
  tabs.append(t);
}
showMode();

const optionsHolder = h('div', {});
const renderOptions = () => optionsHolder.replaceChildren(
  section('Upscale', true, fields([
    { key: 'resize_mode', label: 'Resize', type: 'select', options: [['0', 'Scale by'], ['1', 'Scale to']] },
    { key: 'upscaling_resize', label: 'Resize (scale by)', type: 'range', min: 1, max: 8, step: 0.05 },
    { key: 'upscaling_resize_w', label: 'Width (scale to)', type: 'range', min: 64, max: 8192, step: 8 },
    { key: 'upscaling_resize_h', label: 'Height (scale to)', type: 'range', min: 64, max: 8192, step: 8 },
    { key: 'upscaling_crop', label: 'Crop to fit', type: 'checkbox' },
    { key: 'upscaler_1', label: 'Upscaler 1', type: 'select', options: upscalers },
    { key: 'upscaler_2', label: 'Upscaler 2', type: 'select', options: upscalers },
    { key: 'extras_upscaler_2_visibility', label: 'Upscaler 2 visibility', type: 'range', min: 0, max: 1, step: 0.001 },
  ], values, save)),
  section('Restore faces', true, fields([
    { key: 'gfpgan_visibility', label: 'GFPGAN visibility', type: 'range', min: 0, max: 1, step: 0.001 },
    { key: 'codeformer_visibility', label: 'CodeFormer visibility', type: 'range', min: 0, max: 1, step: 0.001 },
    { key: 'codeformer_weight', label: 'CodeFormer weight (0 = max effect)', type: 'range', min: 0, max: 1, step: 0.001 },
  ], values, save)),
);
renderOptions();

// before / after comparison: the "after" image clipped at the slider
const beforeImg = h('img', { class: 'compare-img', attrs: { alt: 'Before' } });
const afterImg = h('img', { class: 'compare-img compare-after', id: 'after-image', attrs: { alt: 'After' } });
const slider = h('input', { class: 'compare-slider', id: 'compare-slider', attrs: { type: 'range', min: '0', max: '100', value: '50', 'aria-label': 'Before / after' } });
const clip = () => { afterImg.style.clipPath = `inset(0 0 0 ${slider.value}%)`; };
slider.addEventListener('input', clip);
clip();
const compare = h('div', { class: 'compare', id: 'compare' }, h('div', { class: 'compare-frame' }, beforeImg, afterImg), slider, h('div', { class: 'compare-labels' }, h('span', { text: 'Before' }), h('span', { text: 'After' })));
compare.hidden = true;
const strip = h('div', { class: 'gallery-strip' });
let afterViews: ImageView[] = [];
let beforeViews: ImageView[] = [];
let current = 0;
const select = (i: number) => {
  current = i;
  compare.hidden = !afterViews[i];
  strip.querySelectorAll('.thumb').forEach((t, j) => t.classList.toggle('selected', j === i));
  if (afterViews[i]) { afterImg.src = afterViews[i].src; beforeImg.src = (beforeViews[i] ?? beforeViews[0])?.src ?? ''; }
};
const showResults = (after: ImageView[], before: ImageView[]) => {
  afterViews = after; beforeViews = before;
  clear(strip);
  afterViews.forEach((v, i) => { const t = h('img', { class: 'thumb', attrs: { src: v.src, alt: v.name, tabindex: '0' } }); t.addEventListener('click', () => select(i)); strip.append(t); });
  select(0);
  sendBtns.hidden = !afterViews.length;
};
const progress = progressBar();
const status = h('div', { class: 'status', id: 'status' });
const runBtn = button('Generate', async () => {
  if (runBtn.disabled) return;
  runBtn.disabled = true;
  progress.start('Upscaling…');
  try {
    const mode = values.mode as ExtrasOptions['mode'];
    const images = mode === 'single' ? (image ? [{ view: image }] : []) : mode === 'batch' ? batch.map((view) => ({ view })) : [];
    const res = await request('extras', { options: values as unknown as ExtrasOptions, images, folder: folder?.path });
    if (!res) { progress.done('Cancelled', 'error'); return; }
    showResults(res.after, res.before);
    result = { before: res.before, after: res.after };
    save();
    status.textContent = res.errors.length ? `Failed: ${res.errors.join('; ')}` : '';
    status.className = `status${res.errors.length ? ' error' : ''}`;
    progress.done(`Done: ${afterViews.length} image${afterViews.length === 1 ? '' : 's'}`, afterViews.length ? undefined : 'error');
  } catch (e) {
    progress.done(e instanceof Error ? e.message : String(e), 'error');
  } finally { runBtn.disabled = false; }
}, { kind: 'primary', id: 'generate', icon: 'play' });
const sendBtns = h('div', { class: 'toolbar', id: 'extras-actions' },
  ...(['img2img', 'inpaint'] as const).map((t) => button(`Send to ${t}`, () => { const v = afterViews[current]; if (v) void request('sendTo', { target: t, image: v }).catch((e) => { status.textContent = String(e); }); }, { icon: 'arrow-right' })),
  button('Open', () => { const v = afterViews[current]; if (v) void request('openImage', { image: v }).catch((e) => { status.textContent = String(e); }); }, { icon: 'go-to-file' }),
);
sendBtns.hidden = true;
const banner = h('div', { class: 'banner', text: 'The SD Studio daemon is not running.' });
banner.hidden = true;
app.append(h('div', { class: 'layout extras' },
  h('div', { class: 'col col-left' }, banner, tabs, sourceHolder, h('div', { class: 'toolbar actions' }, runBtn), progress.el, status),
  h('div', { class: 'col col-right' }, compare, strip, sendBtns, optionsHolder),
));
if (result) showResults(result.after, result.before);
app.removeAttribute('aria-busy');

onMessage((m: HostMessage) => {
  if (m.type === 'init') {
    banner.hidden = m.daemonRunning;
    if (m.seed?.image) { image = m.seed.image; slot.set(image); values.mode = 'single'; showMode(); save(); }
    void request('upscalers', {}).then((r) => { upscalers = [...new Set(['None', ...r.upscalers.map((u) => u.name)])]; renderOptions(); }).catch(() => undefined);
  } else if (m.type === 'seed' && m.seed.image) { image = m.seed.image; slot.set(image); values.mode = 'single'; showMode(); save(); }
  else if (m.type === 'daemon') banner.hidden = m.running;
  else if (m.type === 'progress') progress.update(m.progress);
});
ready();
