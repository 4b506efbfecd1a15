// Checkpoint merger panel (A1111 tab): models A/B/C, interpolation method, multiplier, options, output; progress.
import '../common/style.css';
import type { MergeMethod, ModelsMergeParams } from '../../daemon/protocol';
import { button, fields, type FormValues, h, section } from '../common/dom';
import type { HostMessage } from '../common/messages';
import { progressBar } from '../common/progress';
import { getState, onMessage, ready, request, setState } from '../common/vscodeApi';

const values: FormValues = {
  primary: '', secondary: '', tertiary: '', method: 'weighted-sum', multiplier: 0.3, saveAsHalf: false, bakeVae: '',
  discard: '', out: '', customName: '', saveMetadata: true, addRecipe: true, copyMetadata: true, ...(getState<FormValues>() ?? {}),
};
const save = () => setState(values);
const app = document.getElementById('app')!;
const picker = (slot: 'primary' | 'secondary' | 'tertiary' | 'bakeVae' | 'out', label: string) => {
  const input = h('input', { id: `model-${slot}`, attrs: { type: 'text', placeholder: slot === 'out' ? 'merged.safetensors' : 'None', 'aria-label': label } });
  input.value = String(values[slot] ?? '');
  input.addEventListener('input', () => { values[slot] = input.value; save(); });
  return h('div', { class: 'field' }, h('label', { text: label, attrs: { for: `model-${slot}` } }),
    h('div', { class: 'picker' }, input, button('Browse…', async () => { const p = await request('pickModel', { slot }); if (p) { input.value = p; values[slot] = p; save(); } }, { icon: 'folder-opened', title: `Choose ${label}` })));
};
const methods: [MergeMethod, string][] = [['no-interpolation', 'No interpolation'], ['weighted-sum', 'Weighted sum: A·(1−M) + B·M'], ['add-difference', 'Add difference: A + (B−C)·M']];
const progress = progressBar();
const result = h('div', { class: 'result', id: 'merge-result' });
let jobId: string | undefined;
const mergeBtn = button('Merge', async () => {
  if (jobId) return;
  mergeBtn.disabled = true;
  jobId = `merge-${crypto.randomUUID()}`;
  interruptBtn.disabled = false;
  progress.start('Merging…');
  try {
    const params: ModelsMergeParams = {
      primary: String(values.primary), secondary: String(values.secondary) || undefined, tertiary: String(values.tertiary) || undefined,
      method: values.method as MergeMethod, multiplier: Number(values.multiplier), saveAsHalf: Boolean(values.saveAsHalf),
      bakeVae: String(values.bakeVae) || undefined, discard: String(values.discard) || undefined, out: String(values.out),
      customName: String(values.customName) || undefined, saveMetadata: Boolean(values.saveMetadata), addRecipe: Boolean(values.addRecipe), copyMetadata: Boolean(values.copyMetadata),
      jobId,
    };
    const r = await request('merge', { params });
    if (!r) { progress.done('Cancelled', 'error'); return; }
    progress.done(`Merged ${r.tensors} tensors`);
    result.replaceChildren(h('div', { class: 'kv' }, h('div', { class: 'k', text: 'Output' }), h('div', { class: 'v', text: r.out })),
      h('div', { class: 'kv' }, h('div', { class: 'k', text: 'Hash' }), h('div', { class: 'v', text: `${r.shortHash} (${r.sha256.slice(0, 16)}…)` })),
      h('div', { class: 'kv' }, h('div', { class: 'k', text: 'Kind' }), h('div', { class: 'v', text: r.isInpainting ? 'inpainting model' : r.isInstructPix2Pix ? 'instruct-pix2pix model' : 'standard model' })));
  } catch (e) {
    progress.done(e instanceof Error ? e.message : String(e), 'error');
  } finally { mergeBtn.disabled = false; jobId = undefined; interruptBtn.disabled = true; }
}, { kind: 'primary', id: 'merge' });
const interruptBtn = button('Interrupt', () => { if (jobId) void request('cancel', { jobId }).catch((e) => progress.done(e instanceof Error ? e.message : String(e), 'error')); }, { id: 'merge-interrupt', icon: 'debug-stop' });
interruptBtn.disabled = true;
const methodSel = fields([{ key: 'method', label: 'Interpolation method', type: 'select', options: methods }], values, save);
const banner = h('div', { class: 'banner', text: 'The SD Studio daemon is not running.' });
banner.hidden = true;
app.append(h('div', { class: 'layout merger' },
  h('div', { class: 'col col-left' }, banner,
    section('Models', true, picker('primary', 'Primary model (A)'), picker('secondary', 'Secondary model (B)'), picker('tertiary', 'Tertiary model (C)')),
    section('Method', true, methodSel, fields([{ key: 'multiplier', label: 'Multiplier (M)', type: 'range', min: 0, max: 1, step: 0.05 }], values, save)),
    h('div', { class: 'toolbar actions' }, mergeBtn, interruptBtn),
    progress.el, result),
  h('div', { class: 'col col-right' },
    section('Output', true, picker('out', 'Output file'), fields([{ key: 'customName', label: 'Custom name', type: 'text', placeholder: 'optional' }, { key: 'saveAsHalf', label: 'Save as float16', type: 'checkbox' }], values, save)),
    section('Options', true, picker('bakeVae', 'Bake in VAE'), fields([
      { key: 'discard', label: 'Discard weights with matching name (regex)', type: 'text', placeholder: 'e.g. model_ema' },
      { key: 'saveMetadata', label: 'Save metadata', type: 'checkbox' },
      { key: 'addRecipe', label: 'Add merge recipe metadata', type: 'checkbox' },
      { key: 'copyMetadata', label: 'Copy metadata from merged models', type: 'checkbox' },
    ], values, save)),
  )));
app.removeAttribute('aria-busy');
onMessage((m: HostMessage) => {
  if (m.type === 'init') banner.hidden = m.daemonRunning;
  else if (m.type === 'daemon') banner.hidden = m.running;
  else if (m.type === 'progress') { jobId = m.progress.jobId; progress.update(m.progress); }
});
ready();
