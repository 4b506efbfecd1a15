// The aesthetic-gradients section of the img2img and inpaint panels: the extension's eight fields (its UI defaults),
// the embedding chosen from the models root's aesthetic_embeddings (listed by the host), kept in the form values
// under `aesthetic_*` keys and turned into Img2ImgParams.aesthetic when generating.
import type { AestheticParams, Img2ImgParams } from '../../daemon/protocol';
import { button, fields, type FieldSpec, type FormValues, h, section } from './dom';
import { request } from './vscodeApi';

export const AESTHETIC_DEFAULTS: FormValues = {
  aesthetic_embedding: 'None', aesthetic_weight: 0.9, aesthetic_steps: 5, aesthetic_lr: '0.0001', aesthetic_slerp: false,
  aesthetic_text: '', aesthetic_slerp_angle: 0.1, aesthetic_text_negative: false,
};

const isAestheticKey = (k: string): boolean => k.startsWith('aesthetic_');

/** Img2ImgParams.aesthetic from the form, or undefined for "None". */
export function aestheticParams(v: FormValues): AestheticParams | undefined {
  const embedding = String(v.aesthetic_embedding ?? 'None');
  if (embedding === 'None' || embedding === '') return undefined;
  return {
    embedding, weight: Number(v.aesthetic_weight), steps: Number(v.aesthetic_steps), lr: Number(v.aesthetic_lr),
    slerp: v.aesthetic_slerp === true, text: String(v.aesthetic_text ?? ''), slerp_angle: Number(v.aesthetic_slerp_angle),
    text_negative: v.aesthetic_text_negative === true,
  };
}

/** Pasted / sent settings (an infotext with "Aesthetic …" keys) into the form. */
export function applyAestheticParams(v: FormValues, p: Img2ImgParams['aesthetic']): void {
  if (!p) return;
  const put = (k: string, x: unknown): void => {
    if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') v[k] = x;
  };
  put('aesthetic_embedding', p.embedding);
  put('aesthetic_weight', p.weight);
  put('aesthetic_steps', p.steps);
  if (p.lr !== undefined) v.aesthetic_lr = String(p.lr);
  put('aesthetic_slerp', p.slerp);
  put('aesthetic_text', p.text);
  put('aesthetic_slerp_angle', p.slerp_angle);
  put('aesthetic_text_negative', p.text_negative);
}

export { isAestheticKey };

export function aestheticSection(values: FormValues, changed: () => void): HTMLElement {
  for (const [k, d] of Object.entries(AESTHETIC_DEFAULTS)) if (values[k] === undefined) values[k] = d;
  let names: string[] = [];
  const specs = (): FieldSpec[] => [
    { key: 'aesthetic_embedding', label: 'Aesthetic imgs embedding', type: 'select', options: ['None', ...new Set([...names, String(values.aesthetic_embedding)])].filter((x, i, a) => a.indexOf(x) === i) },
    { key: 'aesthetic_weight', label: 'Aesthetic weight', type: 'range', min: 0, max: 1, step: 0.01 },
    { key: 'aesthetic_steps', label: 'Aesthetic steps', type: 'range', min: 0, max: 50, step: 1 },
    { key: 'aesthetic_lr', label: 'Aesthetic learning rate', type: 'text', placeholder: '0.0001' },
    { key: 'aesthetic_slerp', label: 'Slerp interpolation', type: 'checkbox' },
    { key: 'aesthetic_text', label: 'Aesthetic text for imgs', type: 'text', placeholder: 'rotates the embedding toward this text' },
    { key: 'aesthetic_slerp_angle', label: 'Slerp angle', type: 'range', min: 0, max: 1, step: 0.01 },
    { key: 'aesthetic_text_negative', label: 'Is negative text', type: 'checkbox' },
  ];
  const holder = h('div', {}, fields(specs(), values, changed));
  const note = h('div', { class: 'hint', id: 'aesthetic-note' });
  const refresh = async (): Promise<void> => {
    try {
      const r = await request('aestheticEmbeddings', {});
      names = r.embeddings.map((e) => e.name);
      note.textContent = names.length ? '' : `No embeddings yet: create one with "sd-studio aesthetic create NAME FOLDER"${r.folder ? ` (they go to ${r.folder})` : ''}.`;
    } catch {
      note.textContent = 'Embedding list unavailable (daemon not running?)';
    }
    holder.replaceChildren(fields(specs(), values, changed));
  };
  void refresh();
  const reload = button('', () => void refresh(), { kind: 'icon', icon: 'refresh', title: 'Refresh the embedding list', id: 'aesthetic-refresh' });
  return section('Aesthetic embeddings', values.aesthetic_embedding !== 'None', h('div', { class: 'toolbar' }, reload), holder, note);
}
