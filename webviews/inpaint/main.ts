// Inpaint panel: the mask painter as the source, inpaint options, outpainting (A1111's scripts: the daemon grows
// the canvas), the shared body.
import '../common/style.css';
import { fields, h, section, type FormValues } from '../common/dom';
import { generationPanel } from '../common/generationPanel';
import { imageSlot } from '../common/imageSlot';
import type { ImageView, OutpaintOptions } from '../common/messages';
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
/** The outpainting script's options; method '' = none (inpaint the painted mask). Kept in the draft. */
const outpaint: FormValues = { outpaint_method: '', pixels: 128, left: true, right: true, up: true, down: true, color_variation: 0.05 };
const DIRECTIONS = ['left', 'right', 'up', 'down'] as const;
const outpaintOptions = (): OutpaintOptions | undefined => {
  const method = String(outpaint.outpaint_method);
  if (method !== 'poor-man' && method !== 'mk2') return undefined;
  const directions = DIRECTIONS.filter((d) => outpaint[d] === true);
  return { outpaint_method: method, pixels: Number(outpaint.pixels), directions, ...(method === 'mk2' ? { color_variation: Number(outpaint.color_variation) } : {}) };
};

generationPanel('inpaint', {
  el: h('div', { class: 'inpaint-source' }, slot.el, note, painter.el),
  setImage: (v) => { slot.set(v); void load(v); },
  image: () => current,
  setMask: (v) => void painter.loadMask(v),
  draft: () => ({ mask: painter.maskUrl(), outpaint }),
  restoreDraft: (d) => {
    const draft = d as { mask?: unknown; outpaint?: unknown } | undefined;
    const m = draft?.mask;
    pendingMask = typeof m === 'string' && m.startsWith('data:image/png') ? m : undefined;
    if (draft?.outpaint && typeof draft.outpaint === 'object') Object.assign(outpaint, draft.outpaint);
  },
  bindSave: (fn) => { save = fn; },
  inputs: async () => {
    if (!current) return {};
    const maskBytes = await painter.exportMask();
    return { init: { view: current }, mask: maskBytes ? { bytes: maskBytes, mime: 'image/png', name: 'mask.png' } : undefined };
  },
  outpaint: outpaintOptions,
}, (values, changed) => h('div', {},
  section('Inpaint', true, fields([
    { key: 'mask_blur', label: 'Mask blur', type: 'range', min: 0, max: 64, step: 1 },
    { key: 'inpainting_mask_invert', label: 'Mask mode', type: 'select', options: [['0', 'Inpaint masked'], ['1', 'Inpaint not masked']] },
    { key: 'inpainting_fill', label: 'Masked content', type: 'select', options: [['0', 'fill'], ['1', 'original'], ['2', 'latent noise'], ['3', 'latent nothing']] },
    { key: 'inpaint_full_res', label: 'Inpaint area', type: 'select', options: [['0', 'Whole picture'], ['1', 'Only masked']] },
    { key: 'inpaint_full_res_padding', label: 'Only masked padding, pixels', type: 'range', min: 0, max: 256, step: 4 },
  ], values, changed)),
  section('Outpaint', false,
    h('div', { class: 'muted', text: 'Grows the image on the chosen sides and repaints the new area (the painted mask is not used).' }),
    fields([
      { key: 'outpaint_method', label: 'Outpainting', type: 'select', options: [['', 'None'], ['poor-man', "Poor man's outpainting"], ['mk2', 'Outpainting mk2']] },
      { key: 'pixels', label: 'Pixels to expand', type: 'range', min: 8, max: 256, step: 8 },
      { key: 'left', label: 'Left', type: 'checkbox' },
      { key: 'right', label: 'Right', type: 'checkbox' },
      { key: 'up', label: 'Up', type: 'checkbox' },
      { key: 'down', label: 'Down', type: 'checkbox' },
      { key: 'color_variation', label: 'Color variation (mk2)', type: 'range', min: 0, max: 1, step: 0.01 },
    ], outpaint, () => save()),
  ),
));
