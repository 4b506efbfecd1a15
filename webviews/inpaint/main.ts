// Inpaint panel: the mask painter as the source, inpaint options and outpaint directions, the shared body.
import '../common/style.css';
import { button, fields, h, section } from '../common/dom';
import { generationPanel } from '../common/generationPanel';
import { imageSlot } from '../common/image';
import type { ImageView } from '../common/messages';
import { maskPainter } from './maskPainter';

let current: ImageView | undefined;
let save: () => void = () => undefined;
let saveTimer: number | undefined;
// the painted mask is part of the draft: saved (debounced) into the webview state after each change
const painter = maskPainter(() => { window.clearTimeout(saveTimer); saveTimer = window.setTimeout(() => save(), 300); });
/** A mask from the saved state, drawn once its image has loaded. */
let pendingMask: string | undefined;
const note = h('div', { class: 'muted', text: 'Load an image, then paint the area to repaint.' });
const load = async (v: ImageView | undefined) => {
  current = v;
  if (v) {
    await painter.load(v).catch((e) => { note.textContent = String(e); });
    const m = pendingMask;
    pendingMask = undefined;
    if (m) await painter.loadMask({ name: 'mask.png', src: m }).catch(() => undefined);
  }
  note.hidden = !!v;
};
const slot = imageSlot('Image', (v) => void load(v), { id: 'inpaint-source' });
const out = { left: 0, right: 0, top: 0, bottom: 0 };

generationPanel('inpaint', {
  el: h('div', { class: 'inpaint-source' }, slot.el, note, painter.el),
  setImage: (v) => { slot.set(v); void load(v); },
  image: () => current,
  setMask: (v) => void painter.loadMask(v),
  draft: () => ({ mask: painter.maskUrl() }),
  restoreDraft: (d) => { const m = (d as { mask?: unknown } | undefined)?.mask; pendingMask = typeof m === 'string' && m.startsWith('data:image/png') ? m : undefined; },
  bindSave: (fn) => { save = fn; },
  inputs: async () => {
    if (!current) return {};
    const [maskBytes, imageBytes] = await Promise.all([painter.exportMask(), painter.exportImage()]);
    return {
      init: imageBytes ? { bytes: imageBytes, mime: 'image/png', name: 'outpaint.png' } : { view: current },
      mask: maskBytes ? { bytes: maskBytes, mime: 'image/png', name: 'mask.png' } : undefined,
    };
  },
}, (values, changed) => h('div', {},
  section('Inpaint', true, fields([
    { key: 'mask_blur', label: 'Mask blur', type: 'range', min: 0, max: 64, step: 1 },
    { key: 'inpainting_mask_invert', label: 'Mask mode', type: 'select', options: [['0', 'Inpaint masked'], ['1', 'Inpaint not masked']] },
    { key: 'inpainting_fill', label: 'Masked content', type: 'select', options: [['0', 'fill'], ['1', 'original'], ['2', 'latent noise'], ['3', 'latent nothing']] },
    { key: 'inpaint_full_res', label: 'Inpaint area', type: 'select', options: [['0', 'Whole picture'], ['1', 'Only masked']] },
    { key: 'inpaint_full_res_padding', label: 'Only masked padding, pixels', type: 'range', min: 0, max: 256, step: 4 },
  ], values, changed)),
  section('Outpaint', false,
    fields([
      { key: 'left', label: 'Left', type: 'number', min: 0, max: 1024, step: 8 },
      { key: 'right', label: 'Right', type: 'number', min: 0, max: 1024, step: 8 },
      { key: 'top', label: 'Up', type: 'number', min: 0, max: 1024, step: 8 },
      { key: 'bottom', label: 'Down', type: 'number', min: 0, max: 1024, step: 8 },
    ], out, () => undefined),
    h('div', { class: 'toolbar' }, button('Extend canvas', () => painter.extend(out), { id: 'outpaint-extend', title: 'Add pixels on these sides and mask them for repainting' })),
  ),
));
