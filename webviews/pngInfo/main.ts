// PNG info editor: the image and every field the daemon read, grouped, with copy and send-to buttons; the raw
// metadata chunks in a collapsible section.
import '../common/style.css';
import { button, h, section } from '../common/dom';
import type { HostMessage, PngInfoView, SendTarget } from '../common/messages';
import { onMessage, ready, request } from '../common/vscodeApi';

const app = document.getElementById('app')!;
const status = h('div', { class: 'status', id: 'status' });
const say = (t: string, err = false) => { status.textContent = t; status.className = `status${err ? ' error' : ''}`; };
const copy = (text: string) => button('Copy', () => void request('copy', { text }).then(() => say('Copied')).catch((e) => say(String(e), true)), { kind: 'secondary', icon: 'copy', title: 'Copy' });

function row(label: string, value: unknown): HTMLElement | null {
  if (value === null || value === undefined || value === '') return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return h('div', { class: 'kv' }, h('div', { class: 'k', text: label }), h('div', { class: 'v', text }), copy(text));
}

/** A generator's own name, with the A1111 name send-to uses for it when that differs ("dpmpp_2m_sde_gpu → DPM++ 2M SDE"). */
const asA1111 = (own: string | null, a1111: string | undefined): string | null =>
  own !== null && a1111 !== undefined && a1111 !== own ? `${own} → ${a1111}` : own;

/** An open section of rows, left out when the image has none of them (a prompt-only Midjourney/C2PA image). */
const group = (title: string, ...rows: Array<HTMLElement | null>): HTMLElement | null => (rows.some(Boolean) ? section(title, true, ...rows) : null);

function render(v: PngInfoView): void {
  const i = v.info;
  // The image's own A1111 text, or one the daemon wrote from another generator's fields.
  const infotext = v.infotext;
  const text = (label: string, value: string | null, id: string) => value === null ? null : h('div', { class: 'block' },
    h('div', { class: 'block-head' }, h('span', { class: 'label', text: label }), copy(value)), h('pre', { class: 'text', id, text: value || '(empty)' }));
  const send = (t: SendTarget, label: string) => button(label, () => void request('sendTo', { target: t, image: v.image }).catch((e) => say(String(e), true)), { icon: 'arrow-right', id: `send-${t}` });
  const params = Object.entries(i.parameters).filter(([k]) => !['Steps', 'Sampler', 'CFG scale', 'Seed', 'Size', 'Model', 'Model hash', 'Schedule type', 'Denoising strength'].includes(k));
  app.replaceChildren(h('div', { class: 'layout pnginfo' },
    h('div', { class: 'col col-left' }, h('img', { class: 'pnginfo-image', attrs: { src: v.image.src, alt: v.image.name } }), h('div', { class: 'muted', id: 'pnginfo-origin', text: [v.image.name, i.container.toUpperCase(), i.generator ?? (i.format === 'none' ? null : i.format)].filter(Boolean).join(' · ') })),
    h('div', { class: 'col col-right' },
      h('div', { class: 'toolbar' }, send('img2img', 'img2img'), send('inpaint', 'Inpaint'), send('extras', 'Extras'),
        infotext ? button('Save .sdprompt', () => void request('saveSpec', { infotext, image: v.image }).then((f) => f && say(`Saved ${f}`)).catch((e) => say(String(e), true)), { icon: 'save' }) : null,
        infotext ? button('Copy infotext', () => void request('copy', { text: infotext }).then(() => say('Copied')), { icon: 'copy' }) : null),
      status,
      i.format === 'none' ? h('div', { class: 'banner', id: 'no-params', text: 'No generation parameters found in this image.' }) : null,
      i.guessed ? h('div', { class: 'banner', id: 'pnginfo-guessed', text: `Guessed: no known generator writes this JSON (${i.source ?? 'metadata'}); the fields below are the keys that looked like settings. Check them before reusing.` }) : null,
      i.format === 'provenance' || i.format === 'midjourney' ? h('div', { class: 'banner', id: 'pnginfo-prompt-only', text: `Made with ${i.generator ?? 'an AI generator'}: the image records ${i.prompt === null ? 'no prompt and ' : 'its prompt but '}no generation settings.` }) : null,
      v.warning ? h('div', { class: 'banner', id: 'pnginfo-warning', text: v.warning }) : null,
      text('Prompt', i.prompt, 'pnginfo-prompt'),
      text('Negative prompt', i.negativePrompt, 'pnginfo-negative'),
      group('Generation', row('Steps', i.steps), row('Sampler', asA1111(i.sampler, v.a1111.sampler)), row('Schedule type', asA1111(i.scheduleType, v.a1111.scheduleType)), row('CFG scale', i.cfgScale),
        row('Seed', i.seed), row('Size', i.width && i.height ? `${i.width}×${i.height}` : null), row('Denoising strength', i.denoisingStrength)),
      group('Model', row('Model', i.model), row('Model hash', i.modelHash)),
      params.length ? section('Other parameters', true, ...params.map(([k, val]) => row(k, val))) : null,
      section('Source', false, row('Format', i.format), row('Generator', i.generator), row('Metadata key', i.source), row('Container', i.container), row('File', i.file)),
      i.problems.length ? section('Problems', true, ...i.problems.map((p) => h('div', { class: 'problem', text: p }))) : null,
      section(`Raw chunks (${Object.keys(i.raw).length})`, false, ...Object.entries(i.raw).map(([k, t]) => h('div', { class: 'block' }, h('div', { class: 'block-head' }, h('span', { class: 'label', text: k }), copy(t)), h('pre', { class: 'text', text: t })))),
    ),
  ));
}

onMessage((m: HostMessage) => {
  if (m.type !== 'init') return;
  if (m.pngInfo) render(m.pngInfo);
  else app.replaceChildren(h('div', { class: 'layout' }, h('div', { class: 'banner', text: m.error ?? 'Could not read this image.' }), m.seed?.image ? h('img', { class: 'pnginfo-image', attrs: { src: m.seed.image.src, alt: '' } }) : null));
  app.removeAttribute('aria-busy');
});
ready();
