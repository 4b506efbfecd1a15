// The generation panels' A1111 everyday tools: the Hires. fix section (txt2img, i.e. without a source image),
// Styles (pick, apply into the prompts, save the prompts as a style) and the Script dropdown (X/Y/Z plot, Prompt
// matrix, Prompts from file or textbox). Renders and collects values only; the daemon does the work.
import type { Img2ImgParams, PromptStyleInfo, XyzAxisInfo } from '../../daemon/protocol';
import { button, fields, type FieldSpec, type FormValues, h, section } from './dom';
import type { ScriptOptions } from './messages';
import { request } from './vscodeApi';

const LATENT_MODES = ['Latent', 'Latent (antialiased)', 'Latent (bicubic)', 'Latent (bicubic antialiased)', 'Latent (nearest)', 'Latent (nearest-exact)'];

export interface ToolSections {
  sections: HTMLElement[];
  /** The job's params with the hires and styles fields of the form. */
  apply(p: Img2ImgParams): Img2ImgParams;
  /** The script chosen (undefined: a plain generation). */
  script(): ScriptOptions | undefined;
  /** Fill the lists that come from the daemon (samplers, upscalers, styles, axes). */
  load(samplers: string[], schedulers: string[]): void;
}

/** `values` is the panel's form (saved with it); `prompts` reads and writes the prompt boxes. */
export function toolSections(values: FormValues, save: () => void, prompts: { get(): [string, string]; set(prompt: string, negative: string): void }): ToolSections {
  const defaults: FormValues = {
    enable_hr: false, hr_upscaler: 'Latent', hr_scale: 2, hr_second_pass_steps: 0, hr_resize_x: 0, hr_resize_y: 0, hr_sampler_name: 'Use same sampler',
    hr_scheduler: 'Use same scheduler', hr_cfg: 0, hr_prompt: '', hr_negative_prompt: '', script: 'None', x_type: 'Steps', x_values: '', y_type: 'Nothing', y_values: '',
    z_type: 'Nothing', z_values: '', draw_legend: true, no_fixed_seeds: false, margin_size: 0, put_at_start: false, different_seeds: false, matrix_negative: false,
    prompt_lines: '', iterate_seed: false, same_seed: false,
  };
  for (const [k, v] of Object.entries(defaults)) if (values[k] === undefined) values[k] = v;
  let styles: PromptStyleInfo[] = [];
  const chosen = new Set<string>(String(values.styles ?? '').split('\n').filter(Boolean));
  let axes: XyzAxisInfo[] = [];
  let upscalers: string[] = [];
  let samplers: string[] = [];
  let schedulers: string[] = [];

  const hiresHolder = h('div', {});
  const renderHires = () => hiresHolder.replaceChildren(fields([
    { key: 'enable_hr', label: 'Hires. fix (txt2img: without a source image)', type: 'checkbox' },
    { key: 'hr_upscaler', label: 'Upscaler', type: 'select', options: [...LATENT_MODES, ...upscalers] },
    { key: 'hr_scale', label: 'Upscale by', type: 'range', min: 1, max: 4, step: 0.05 },
    { key: 'hr_second_pass_steps', label: 'Hires steps', type: 'range', min: 0, max: 150, step: 1, title: '0 = as many as the first pass' },
    { key: 'hr_resize_x', label: 'Resize width to', type: 'range', min: 0, max: 2048, step: 8 },
    { key: 'hr_resize_y', label: 'Resize height to', type: 'range', min: 0, max: 2048, step: 8 },
    { key: 'hr_sampler_name', label: 'Hires sampling method', type: 'select', options: ['Use same sampler', ...samplers] },
    { key: 'hr_scheduler', label: 'Hires schedule type', type: 'select', options: ['Use same scheduler', ...schedulers] },
    { key: 'hr_cfg', label: 'Hires CFG Scale', type: 'range', min: 0, max: 30, step: 0.5, title: '0 = the first pass\'s CFG scale' },
    { key: 'hr_prompt', label: 'Hires prompt', type: 'text', placeholder: 'empty = the prompt' },
    { key: 'hr_negative_prompt', label: 'Hires negative prompt', type: 'text', placeholder: 'empty = the negative prompt' },
  ], values, save));

  const stylesList = h('div', { class: 'styles', id: 'styles' });
  const renderStyles = () => stylesList.replaceChildren(...(styles.length ? styles.map((s) => {
    const cb = h('input', { attrs: { type: 'checkbox', 'data-style': s.name, 'aria-label': s.name } });
    cb.checked = chosen.has(s.name);
    cb.addEventListener('change', () => { if (cb.checked) chosen.add(s.name); else chosen.delete(s.name); values.styles = [...chosen].join('\n'); save(); });
    return h('label', { class: 'style', title: [s.prompt, s.negative_prompt && `Negative: ${s.negative_prompt}`].filter(Boolean).join('\n') }, cb, s.name);
  }) : [h('span', { class: 'hint', text: 'No styles.csv found (sdStudio.stylesFile or an A1111 install as sdStudio.modelsRoot).' })]));
  const applyStyles = async () => {
    // A1111's "Apply styles": the styles' text goes into the prompt boxes and the selection is cleared.
    const [prompt, negative] = prompts.get();
    const r = await request('applyStyles', { prompt, negative_prompt: negative, styles: [...chosen] });
    prompts.set(r.prompt, r.negative_prompt);
    chosen.clear();
    values.styles = '';
    renderStyles();
    save();
  };
  const saveStyle = async () => {
    const name = (document.getElementById('style-name') as HTMLInputElement | null)?.value.trim();
    if (!name) return;
    const [prompt, negative] = prompts.get();
    try {
      styles = (await request('saveStyle', { style: { name, prompt, negative_prompt: negative } })).styles;
      renderStyles();
    } catch (e) {
      stylesList.prepend(h('div', { class: 'status error', text: e instanceof Error ? e.message : String(e) }));
    }
  };
  const stylesTools = h('div', { class: 'toolbar' },
    button('Apply', () => void applyStyles().catch((e) => stylesList.prepend(h('div', { class: 'status error', text: String(e) }))), { icon: 'arrow-left', title: 'Write the selected styles into the prompts' }),
    h('input', { id: 'style-name', attrs: { type: 'text', placeholder: 'new style name', 'aria-label': 'New style name' } }),
    button('Save style', () => void saveStyle(), { icon: 'save', title: 'Save the current prompts as a style in styles.csv' }),
  );

  const scriptHolder = h('div', {});
  const axisSpecs = (a: 'x' | 'y' | 'z'): FieldSpec[] => [
    { key: `${a}_type`, label: `${a.toUpperCase()} type`, type: 'select', options: axes.length ? axes.map((x) => x.label) : [String(values[`${a}_type`])] },
    { key: `${a}_values`, label: `${a.toUpperCase()} values`, type: 'text', placeholder: valuesHint(axes.find((x) => x.label === values[`${a}_type`])) },
  ];
  const renderScript = () => {
    const kind = String(values.script);
    const specs: FieldSpec[] = [{ key: 'script', label: 'Script', type: 'select', options: ['None', 'X/Y/Z plot', 'Prompt matrix', 'Prompts from file or textbox'] }];
    if (kind === 'X/Y/Z plot') {
      specs.push(...axisSpecs('x'), ...axisSpecs('y'), ...axisSpecs('z'),
        { key: 'draw_legend', label: 'Draw legend', type: 'checkbox' }, { key: 'no_fixed_seeds', label: 'Keep -1 for seeds', type: 'checkbox' },
        { key: 'margin_size', label: 'Grid margins (px)', type: 'range', min: 0, max: 500, step: 2 });
    } else if (kind === 'Prompt matrix') {
      specs.push({ key: 'put_at_start', label: 'Put variable parts at start of prompt', type: 'checkbox' }, { key: 'different_seeds', label: 'Use different seed for each picture', type: 'checkbox' },
        { key: 'matrix_negative', label: 'The negative prompt holds the | parts', type: 'checkbox' }, { key: 'margin_size', label: 'Grid margins (px)', type: 'range', min: 0, max: 500, step: 2 });
    } else if (kind === 'Prompts from file or textbox') {
      specs.push({ key: 'iterate_seed', label: 'Iterate seed every line', type: 'checkbox' }, { key: 'same_seed', label: 'Use same random seed for all lines', type: 'checkbox' });
    }
    const form = fields(specs, values, () => { save(); if (['script', 'x_type', 'y_type', 'z_type'].some((k) => String(values[k]) !== shown[k])) renderScript(); });
    const shown: Record<string, string> = Object.fromEntries(['script', 'x_type', 'y_type', 'z_type'].map((k) => [k, String(values[k])]));
    const lines = kind === 'Prompts from file or textbox' ? promptLinesBox() : null;
    scriptHolder.replaceChildren(form, ...(lines ? [lines] : []));
  };
  const promptLinesBox = (): HTMLElement => {
    const ta = h('textarea', { id: 'prompt_lines', attrs: { rows: '6', placeholder: 'one prompt per line, or --prompt "…" --steps 30 …', 'aria-label': 'List of prompt inputs', spellcheck: 'false' } });
    ta.value = String(values.prompt_lines ?? '');
    ta.addEventListener('input', () => { values.prompt_lines = ta.value; save(); });
    return ta;
  };

  renderHires();
  renderStyles();
  renderScript();
  const num = (k: string): number => Number(values[k]);
  return {
    sections: [
      section('Hires. fix', Boolean(values.enable_hr), hiresHolder),
      section('Styles', chosen.size > 0, stylesList, stylesTools),
      section('Script', String(values.script) !== 'None', scriptHolder),
    ],
    apply(p) {
      const out = { ...p };
      for (const k of Object.keys(defaults)) delete (out as Record<string, unknown>)[k];
      delete (out as Record<string, unknown>).styles;
      if (chosen.size) out.styles = [...chosen];
      if (values.enable_hr === true) {
        Object.assign(out, {
          enable_hr: true, hr_upscaler: String(values.hr_upscaler), hr_scale: num('hr_scale'), hr_second_pass_steps: num('hr_second_pass_steps'),
          hr_resize_x: num('hr_resize_x'), hr_resize_y: num('hr_resize_y'), hr_sampler_name: String(values.hr_sampler_name), hr_scheduler: String(values.hr_scheduler),
          hr_prompt: String(values.hr_prompt), hr_negative_prompt: String(values.hr_negative_prompt), ...(num('hr_cfg') > 0 ? { hr_cfg: num('hr_cfg') } : {}),
        });
      }
      return out;
    },
    script() {
      switch (String(values.script)) {
        case 'X/Y/Z plot': {
          const axis = (a: 'x' | 'y' | 'z') => (values[`${a}_type`] === 'Nothing' ? undefined : { type: String(values[`${a}_type`]), values: String(values[`${a}_values`]) });
          return { kind: 'xyz', x: axis('x'), y: axis('y'), z: axis('z'), draw_legend: values.draw_legend === true, no_fixed_seeds: values.no_fixed_seeds === true, margin_size: num('margin_size') };
        }
        case 'Prompt matrix':
          return { kind: 'promptMatrix', put_at_start: values.put_at_start === true, different_seeds: values.different_seeds === true, prompt_type: values.matrix_negative === true ? 'negative' : 'positive', margin_size: num('margin_size') };
        case 'Prompts from file or textbox':
          return { kind: 'promptsFromFile', text: String(values.prompt_lines), iterate_seed: values.iterate_seed === true, same_seed: values.same_seed === true };
        default:
          return undefined;
      }
    },
    load(s, sch) {
      samplers = s;
      schedulers = sch;
      void request('upscalers', {}).then((u) => { upscalers = u.upscalers.filter((x) => x.kind !== 'none').map((x) => x.name); renderHires(); }).catch(() => renderHires());
      void request('styles', {}).then((r) => { styles = r.styles; renderStyles(); }).catch(() => undefined);
      void request('xyzAxes', {}).then((r) => { axes = r.axes; renderScript(); }).catch(() => undefined);
    },
  };
}

function valuesHint(axis: XyzAxisInfo | undefined): string {
  if (!axis) return '';
  if (axis.choices?.length) return axis.choices.slice(0, 4).join(', ');
  return axis.type === 'int' ? '1-5, 10-20 [5], 8, 16' : axis.type === 'float' ? '1-3 (+0.5), 0-1 [5], 7.5' : 'comma-separated, "quoted, values" allowed';
}
