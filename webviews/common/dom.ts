// A tiny element builder and form binding: no framework, no inline styles or handlers in markup (CSP).
type Child = Node | string | null | undefined | false;
type Props = { class?: string; title?: string; id?: string; text?: string; attrs?: Record<string, string>; on?: Partial<{ [K in keyof HTMLElementEventMap]: (e: HTMLElementEventMap[K]) => void }> };

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.title) el.title = props.title;
  if (props.id) el.id = props.id;
  if (props.text !== undefined) el.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  for (const [k, fn] of Object.entries(props.on ?? {})) el.addEventListener(k, fn as EventListener);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function button(label: string, onClick: () => void, opts: { id?: string; title?: string; kind?: 'primary' | 'secondary' | 'icon'; /** a codicon name */ icon?: string } = {}): HTMLButtonElement {
  const b = h('button', { class: `btn ${opts.kind ?? 'secondary'}`, id: opts.id, title: opts.title ?? label, attrs: { type: 'button' }, on: { click: () => onClick() } });
  // icons are codicons (@vscode/codicons, served by the host through asWebviewUri): pass the name, e.g. 'debug-stop'
  if (opts.icon) b.append(h('span', { class: `codicon codicon-${opts.icon}`, attrs: { 'aria-hidden': 'true' } }));
  if (label) b.append(h('span', { text: label }));
  return b;
}

export type FieldSpec =
  | { key: string; label: string; type: 'number'; min?: number; max?: number; step?: number; title?: string }
  | { key: string; label: string; type: 'range'; min: number; max: number; step: number; title?: string }
  | { key: string; label: string; type: 'select'; options: (string | [string, string])[]; title?: string }
  | { key: string; label: string; type: 'checkbox'; title?: string }
  | { key: string; label: string; type: 'text'; placeholder?: string; title?: string }
  /** An integer of any size (seeds go to 2^64 − 1): kept as a number while exact, else as its decimal string. */
  | { key: string; label: string; type: 'seed'; title?: string };

export type FormValues = Record<string, string | number | boolean>;

/**
 * Render fields bound to `values` (mutated in place); `changed` runs after every edit. A range has a number box
 * beside it, as in A1111.
 */
export function fields(specs: FieldSpec[], values: FormValues, changed: () => void): HTMLElement {
  const grid = h('div', { class: 'fields' });
  for (const f of specs) {
    const id = `f-${f.key}`;
    const label = h('label', { text: f.label, attrs: { for: id }, title: f.title });
    let control: HTMLElement;
    if (f.type === 'select') {
      const sel = h('select', { id, attrs: { 'data-key': f.key } });
      for (const o of f.options) {
        const [value, text] = typeof o === 'string' ? [o, o] : o;
        sel.append(h('option', { text, attrs: { value } }));
      }
      sel.value = String(values[f.key] ?? '');
      sel.addEventListener('change', () => { values[f.key] = /^-?\d+(\.\d+)?$/.test(sel.value) && typeof values[f.key] === 'number' ? Number(sel.value) : sel.value; changed(); });
      control = sel;
    } else if (f.type === 'checkbox') {
      const cb = h('input', { id, attrs: { type: 'checkbox', 'data-key': f.key } });
      cb.checked = Boolean(values[f.key]);
      cb.addEventListener('change', () => { values[f.key] = cb.checked; changed(); });
      control = cb;
    } else if (f.type === 'seed') {
      const t = h('input', { id, attrs: { type: 'text', inputmode: 'numeric', pattern: '-?[0-9]+', 'data-key': f.key } });
      t.value = String(values[f.key] ?? '');
      t.addEventListener('input', () => {
        const v = t.value.trim();
        if (/^-?\d+$/.test(v)) { values[f.key] = Number.isSafeInteger(Number(v)) ? Number(v) : v.replace(/^(-?)0+(?=\d)/, '$1'); changed(); }
      });
      control = t;
    } else if (f.type === 'text') {
      const t = h('input', { id, attrs: { type: 'text', 'data-key': f.key, placeholder: f.placeholder ?? '' } });
      t.value = String(values[f.key] ?? '');
      t.addEventListener('input', () => { values[f.key] = t.value; changed(); });
      control = t;
    } else {
      const num = h('input', { id, attrs: { type: 'number', 'data-key': f.key } });
      if (f.min !== undefined) num.min = String(f.min);
      if (f.max !== undefined) num.max = String(f.max);
      if (f.step !== undefined) num.step = String(f.step);
      num.value = String(values[f.key] ?? '');
      num.addEventListener('input', () => { if (num.value !== '') { values[f.key] = Number(num.value); sync(); changed(); } });
      let sync = () => {};
      if (f.type === 'range') {
        const range = h('input', { attrs: { type: 'range', min: String(f.min), max: String(f.max), step: String(f.step), 'aria-label': f.label } });
        range.value = num.value;
        range.addEventListener('input', () => { num.value = range.value; values[f.key] = Number(range.value); changed(); });
        sync = () => { range.value = num.value; };
        control = h('div', { class: 'range' }, range, num);
      } else control = num;
    }
    grid.append(h('div', { class: `field field-${f.type}` }, label, control));
  }
  return grid;
}

export function section(title: string, open: boolean, ...children: Child[]): HTMLDetailsElement {
  const d = h('details', { class: 'section' }, h('summary', { text: title }), ...children);
  d.open = open;
  return d;
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}
