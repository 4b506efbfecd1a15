// The body img2img and inpaint share: prompts with token counters, every Img2ImgParams field, Generate /
// Interrupt, progress with live previews, the gallery; the source (image slot or mask painter) is plugged in.
import type { Img2ImgParams, SamplersListResult } from '../../daemon/protocol';
import { button, fields, type FieldSpec, type FormValues, h, section } from './dom';
import { gallery } from './gallery';
import type { GenerationDefaults, HostMessage, ImageInput, ImageView, InpaintOptions, OutpaintOptions, ResultView, SeedView } from './messages';
import { progressBar } from './progress';
import { toolSections } from './toolSections';
import { getState, onMessage, ready, request, setState } from './vscodeApi';
import { aestheticParams, aestheticSection, applyAestheticParams, isAestheticKey } from './aestheticForm';
import { interrogateButtons } from './interrogateButtons';

export interface Source {
  el: HTMLElement;
  setImage(view: ImageView | undefined): void;
  image(): ImageView | undefined;
  /** The init image and mask to send (the painter exports PNG bytes here). */
  inputs(): Promise<{ init?: ImageInput; mask?: ImageInput }>;
  setMask?(view: ImageView): void;
  /** Source-specific draft (the painted mask) kept in the webview state, so a reload or hide/show keeps it. */
  draft?(): unknown;
  restoreDraft?(draft: unknown): void;
  /** Called once with the panel's save function, for changes the source makes on its own (painting). */
  bindSave?(save: () => void): void;
  /** Outpainting options when the source asks for it (the daemon then grows the canvas; no painted mask needed). */
  outpaint?(): OutpaintOptions | undefined;
}

interface Saved {
  form: FormValues;
  results: ResultView[];
  selected: number;
  image?: ImageView;
  source?: unknown;
}

/** A new form's values that no setting owns (A1111's UI defaults). */
const DEFAULTS: FormValues = {
  prompt: '', negative_prompt: '', width: 512, height: 512,
  resize_mode: 0, seed: -1, subseed: -1, subseed_strength: 0,
  seed_resize_from_w: 0, seed_resize_from_h: 0, n_iter: 1, batch_size: 1,
  inpainting_mask_invert: 0, inpainting_fill: 1, inpaint_full_res: 0, inpaint_full_res_padding: 32,
  refiner_checkpoint: 'None', refiner_switch_at: 0.8,
};
/** The values the extension owns (`sdStudio.default*`, `sdStudio.maskBlur`): they arrive in `init`. */
const SETTING_KEYS = ['sampler_name', 'scheduler', 'steps', 'cfg_scale', 'denoising_strength', 'mask_blur'] as const satisfies ReadonlyArray<keyof GenerationDefaults>;
const FORM_KEYS = new Set<string>([...Object.keys(DEFAULTS), ...SETTING_KEYS]);

const NUMERIC = new Set([...Object.entries(DEFAULTS).filter(([, v]) => typeof v === 'number').map(([k]) => k), 'steps', 'cfg_scale', 'denoising_strength', 'mask_blur']);

export function generationPanel(kind: 'img2img' | 'inpaint', source: Source, extra?: (values: FormValues, changed: () => void) => HTMLElement): void {
  const app = document.getElementById('app')!;
  const saved = getState<Saved>();
  const values: FormValues = { ...DEFAULTS, ...(saved?.form ?? {}) };
  let results: ResultView[] = saved?.results ?? [];
  let selected = saved?.selected ?? 0;
  let jobId: string | undefined;
  if (saved?.source !== undefined) source.restoreDraft?.(saved.source);
  if (saved?.image) source.setImage(saved.image);

  const save = () => setState<Saved>({ form: values, results: results.slice(0, 32), selected, image: source.image(), source: source.draft?.() });
  source.bindSave?.(save);
  const status = h('div', { class: 'status', id: 'status', attrs: { role: 'status' } });
  const say = (text: string, error = false) => { status.textContent = text; status.className = `status${error ? ' error' : ''}`; };

  // prompts with token counters (sd/prompt.inspect through the host, debounced)
  const promptBox = (key: 'prompt' | 'negative_prompt', label: string) => {
    const ta = h('textarea', { id: key, attrs: { rows: key === 'prompt' ? '4' : '2', placeholder: label, 'aria-label': label, spellcheck: 'false' } });
    ta.value = String(values[key] ?? '');
    const counter = h('span', { class: 'counter', id: `${key}-tokens`, title: 'Tokens / chunk capacity (A1111 counter)', text: '0/75' });
    let timer: number | undefined;
    const count = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(async () => {
        try {
          const r = await request('inspectPrompt', { text: ta.value, negative: key === 'negative_prompt', steps: Number(values.steps) });
          const tokens = r.tokenCount ?? 0;
          counter.textContent = r.tokenCount === null ? '—' : `${tokens}/${r.chunks * 75}`;
          const errs = r.diagnostics.filter((d) => d.severity !== 'info');
          counter.classList.toggle('warn', errs.length > 0);
          counter.title = errs.length ? errs.map((d) => d.message).join('\n') : 'Tokens / chunk capacity (A1111 counter)';
        } catch {
          counter.textContent = '—';
          counter.title = 'Token count unavailable (daemon not running?)';
        }
      }, 350);
    };
    ta.addEventListener('input', () => { values[key] = ta.value; save(); count(); });
    count();
    // A1111's 📎 / 📦 beside the prompt: the interrogation replaces the prompt text.
    const tools = key === 'prompt' ? interrogateButtons(async () => (await source.inputs().catch(() => ({ init: undefined }))).init, (text) => { ta.value = text; ta.dispatchEvent(new Event('input')); }, say) : null;
    return h('div', { class: 'prompt' }, h('div', { class: 'prompt-head' }, h('label', { text: label, attrs: { for: key } }), tools, counter), ta);
  };

  let samplerList: SamplersListResult | undefined;
  const samplerSpecs = (): FieldSpec[] => [
    { key: 'sampler_name', label: 'Sampling method', type: 'select', options: samplerList?.samplers.map((x) => x.name) ?? [String(values.sampler_name ?? '')] },
    { key: 'scheduler', label: 'Schedule type', type: 'select', options: samplerList?.schedulers ?? [String(values.scheduler ?? '')] },
  ];
  const renderSamplers = () => {
    samplerHolder.replaceChildren(fields(samplerSpecs(), values, save));
    if (samplerList) tools.load(samplerList.samplers.map((x) => x.name), samplerList.schedulers);
  };
  const promptArea = (k: 'prompt' | 'negative_prompt') => document.getElementById(k) as HTMLTextAreaElement | null;
  const tools = toolSections(values, save, {
    get: () => [promptArea('prompt')?.value ?? '', promptArea('negative_prompt')?.value ?? ''],
    set: (prompt, negative) => {
      for (const [k, v] of [['prompt', prompt], ['negative_prompt', negative]] as const) {
        const ta = promptArea(k);
        if (ta) { ta.value = v; ta.dispatchEvent(new Event('input')); }
      }
    },
  });
  const params: FieldSpec[] = [
    { key: 'steps', label: 'Sampling steps', type: 'range', min: 1, max: 150, step: 1 },
    { key: 'resize_mode', label: 'Resize mode', type: 'select', options: [['0', 'Just resize'], ['1', 'Crop and resize'], ['2', 'Resize and fill'], ['3', 'Just resize (latent upscale)']] },
    { key: 'width', label: 'Width', type: 'range', min: 64, max: 2048, step: 8 },
    { key: 'height', label: 'Height', type: 'range', min: 64, max: 2048, step: 8 },
    { key: 'n_iter', label: 'Batch count', type: 'range', min: 1, max: 100, step: 1 },
    { key: 'batch_size', label: 'Batch size', type: 'range', min: 1, max: 8, step: 1 },
    { key: 'cfg_scale', label: 'CFG Scale', type: 'range', min: 1, max: 30, step: 0.5 },
    { key: 'denoising_strength', label: 'Denoising strength', type: 'range', min: 0, max: 1, step: 0.01 },
    { key: 'seed', label: 'Seed', type: 'seed', title: '-1 = random; up to 18446744073709551615' },
  ];
  const variation: FieldSpec[] = [
    { key: 'subseed', label: 'Variation seed', type: 'seed' },
    { key: 'subseed_strength', label: 'Variation strength', type: 'range', min: 0, max: 1, step: 0.01 },
    { key: 'seed_resize_from_w', label: 'Resize seed from width', type: 'range', min: 0, max: 2048, step: 8 },
    { key: 'seed_resize_from_h', label: 'Resize seed from height', type: 'range', min: 0, max: 2048, step: 8 },
  ];
  const samplerHolder = h('div', {}, fields(samplerSpecs(), values, save));
  // A1111's Refiner accordion: a checkpoint (SDXL refiner) and where it takes over; choices come from the daemon.
  const refinerSpecs = (checkpoints: readonly string[]): FieldSpec[] => [
    { key: 'refiner_checkpoint', label: 'Checkpoint', type: 'select', options: ['None', ...checkpoints.filter((c) => c !== 'None')] },
    { key: 'refiner_switch_at', label: 'Switch at', type: 'range', min: 0.01, max: 1, step: 0.01 },
  ];
  const refinerHolder = h('div', {}, fields(refinerSpecs([String(values.refiner_checkpoint)]), values, save));
  // Few-step checkpoints (LCM, Turbo, Lightning, Hyper-SD): one click sets their sampler, schedule, steps and CFG.
  const presetBar = h('div', { class: 'toolbar presets', id: 'presets', attrs: { 'aria-label': 'Few-step model presets' } });
  const showPresets = (s: SamplersListResult) => presetBar.replaceChildren(...s.presets.map((pr) => button(pr.name, () => {
    Object.assign(values, { sampler_name: pr.sampler_name, scheduler: pr.scheduler, steps: pr.steps, cfg_scale: pr.cfg_scale });
    for (const k of ['sampler_name', 'scheduler', 'steps', 'cfg_scale']) refreshField(k);
    save();
    say(`${pr.name} preset: ${pr.sampler_name}, ${pr.scheduler}, ${pr.steps} steps, CFG ${pr.cfg_scale} — for ${pr.models}; ${pr.note}`);
  }, { title: `${pr.models}: ${pr.sampler_name} · ${pr.scheduler} · ${pr.steps} steps · CFG ${pr.cfg_scale} (${pr.note})` })));
  const paramsEl = fields(params, values, save);
  const seedTools = h('div', { class: 'toolbar' },
    button('Random', () => { values.seed = -1; refreshField('seed'); save(); }, { icon: 'symbol-misc', title: 'Random seed (-1)' }),
    button('Reuse', () => { const r = results[selected]; if (r) { values.seed = r.seed; refreshField('seed'); save(); } }, { icon: 'refresh', title: 'Reuse the seed of the selected result' }),
  );
  const refreshField = (key: string) => {
    for (const input of Array.from(document.querySelectorAll<HTMLInputElement | HTMLSelectElement>(`[data-key="${key}"]`))) {
      input.value = String(values[key]);
      input.dispatchEvent(new Event('input'));
    }
  };

  const progress = progressBar();
  const gal = gallery((i) => { selected = i; save(); }, say);
  gal.show(results, selected);

  const generate = button('Generate', () => void run(), { kind: 'primary', id: 'generate', icon: 'play', title: 'Generate (Ctrl+Enter)' });
  const interrupt = button('Interrupt', () => { if (jobId) void request('cancel', { jobId }).catch((e) => say(String(e), true)); }, { id: 'interrupt', icon: 'debug-stop' });
  interrupt.disabled = true;
  // Skip ends the current batch (its images are kept) and goes on with the next: only while a job with n_iter > 1 runs
  const skip = button('Skip', () => { if (jobId) void request('skip', { jobId }).catch((e) => say(String(e), true)); }, { id: 'skip', icon: 'debug-step-over', title: 'Skip: finish the current batch now and go on with the next' });
  skip.disabled = true;

  const run = async () => {
    if (jobId) return;
    const { init, mask } = await source.inputs().catch((e) => { say(e instanceof Error ? e.message : String(e), true); return { init: undefined, mask: undefined, failed: true }; });
    const outpaint = source.outpaint?.();
    if (outpaint && !init) { say('Load an image to outpaint first.', true); return; }
    if (outpaint && outpaint.directions?.length === 0) { say('Choose at least one outpainting direction.', true); return; }
    if (kind === 'inpaint' && !mask && !outpaint) { say('Paint a mask first (or upload one), or choose an outpainting method.', true); return; }
    let p: Img2ImgParams = {};
    for (const [k, v] of Object.entries(values)) {
      if (k.startsWith('mask_') || k.startsWith('inpaint') || isAestheticKey(k)) continue;
      (p as Record<string, unknown>)[k] = NUMERIC.has(k) ? Number(v) : v;
    }
    if (p.refiner_checkpoint === 'None') { delete p.refiner_checkpoint; delete p.refiner_switch_at; }
    p = tools.apply(p);
    const script = tools.script();
    p.resize_mode = Number(values.resize_mode) as Img2ImgParams['resize_mode'];
    const aesthetic = aestheticParams(values);
    if (aesthetic) p.aesthetic = aesthetic;
    p.jobId = `${kind}-${crypto.randomUUID()}`;
    const inpaint: InpaintOptions | undefined = kind === 'inpaint' ? {
      mask_blur: Number(values.mask_blur),
      inpainting_fill: Number(values.inpainting_fill) as NonNullable<InpaintOptions['inpainting_fill']>,
      inpaint_full_res: Number(values.inpaint_full_res) === 1,
      inpaint_full_res_padding: Number(values.inpaint_full_res_padding),
      inpainting_mask_invert: Number(values.inpainting_mask_invert) === 1 ? 1 : 0,
    } : undefined;
    jobId = p.jobId;
    generate.disabled = true;
    interrupt.disabled = false;
    skip.disabled = !(Number(p.n_iter ?? 1) > 1);
    progress.start(init ? 'Starting…' : 'Starting (no source image: txt2img)…');
    say('');
    try {
      const res = await request('generate', { params: p, init, mask, inpaint, outpaint, ...(script ? { script } : {}) });
      if (!res) { progress.done('Cancelled', 'error'); return; }
      results = [...res.results, ...results].slice(0, 64);
      selected = 0;
      gal.show(results, 0);
      const images = res.results.filter((r) => !r.grid).length;
      const grids = res.results.length - images;
      const warned = res.warnings?.length ?? 0;
      progress.done(`Done: ${images} image${images === 1 ? '' : 's'}${grids ? ` + ${grids === 1 ? 'grid' : `${grids} grids`}` : ''}${warned ? ` · ${warned} warning${warned === 1 ? '' : 's'}` : ''}`);
      if (res.warnings?.length) say(res.warnings.map((w) => `⚠ ${w}`).join('\n'), true);
      save();
    } catch (e) {
      gal.setLive(undefined);
      progress.done(e instanceof Error ? e.message : String(e), 'error');
    } finally {
      jobId = undefined;
      generate.disabled = false;
      interrupt.disabled = true;
      skip.disabled = true;
    }
  };

  const daemonNote = h('div', { class: 'banner', id: 'daemon-banner', text: 'The SD Studio daemon is not running: generation and token counts are unavailable.' });
  daemonNote.hidden = true;
  const left = h('div', { class: 'col col-left' },
    daemonNote,
    source.el,
    promptBox('prompt', 'Prompt'),
    promptBox('negative_prompt', 'Negative prompt'),
    h('div', { class: 'toolbar actions' }, generate, interrupt, skip),
    progress.el,
    status,
  );
  // results first, as in A1111's output column: visible without scrolling past the parameters
  const right = h('div', { class: 'col col-right' },
    gal.el,
    section('Generation', true, presetBar, samplerHolder, paramsEl, seedTools),
    extra ? extra(values, save) : null,
    section('Refiner', false, refinerHolder),
    section('Variation seed', false, fields(variation, values, save)),
    ...tools.sections,
    aestheticSection(values, save),
  );
  app.append(h('div', { class: `layout ${kind}` }, left, right));
  app.removeAttribute('aria-busy');
  document.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void run(); });

  const applySeed = (seed: SeedView) => {
    if (seed.image) source.setImage(seed.image);
    if (seed.mask && source.setMask) source.setMask(seed.mask);
    if (seed.params) {
      for (const [k, v] of Object.entries(seed.params)) {
        if (FORM_KEYS.has(k) && (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')) values[k] = v;
      }
      for (const k of Object.keys(seed.params)) if (FORM_KEYS.has(k)) refreshField(k);
      if (seed.params.aesthetic) {
        applyAestheticParams(values, seed.params.aesthetic);
        for (const k of Object.keys(values)) if (isAestheticKey(k)) refreshField(k);
      }
      for (const k of ['prompt', 'negative_prompt'] as const) {
        const ta = document.getElementById(k) as HTMLTextAreaElement | null;
        if (ta && seed.params[k] !== undefined) { ta.value = String(seed.params[k]); ta.dispatchEvent(new Event('input')); }
      }
    }
    save();
    say(seed.image ? `Loaded ${seed.image.name}` : '');
  };

  /** The extension's defaults fill what this form has no value for (a panel restored from its state keeps its own). */
  const applyDefaults = (d: GenerationDefaults) => {
    for (const k of SETTING_KEYS) {
      const v = d[k];
      if (values[k] === undefined && v !== undefined) {
        values[k] = v;
        refreshField(k);
      }
    }
    renderSamplers();
  };

  onMessage((m: HostMessage) => {
    switch (m.type) {
      case 'init':
        daemonNote.hidden = m.daemonRunning;
        if (m.defaults) applyDefaults(m.defaults);
        if (m.seed) applySeed(m.seed);
        void request('samplers', {}).then((s) => { samplerList = s; renderSamplers(); showPresets(s); }).catch(() => undefined);
        void request('modelInfo', {}).then((info) => {
          refinerHolder.replaceChildren(fields(refinerSpecs(info.checkpoints), values, save));
          // A fresh panel takes the model's own size (SDXL: 1024²); a restored one keeps what the user had.
          if (!saved?.form && !m.seed?.params?.width) {
            values.width = info.defaultSize;
            values.height = info.defaultSize;
            refreshField('width');
            refreshField('height');
            save();
          }
        }).catch(() => undefined);
        return;
      case 'seed': applySeed(m.seed); return;
      case 'daemon': daemonNote.hidden = m.running; return;
      case 'progress': if (m.progress.jobId === jobId) progress.update(m.progress); return;
      case 'livePreview': if (m.jobId === jobId) gal.setLive(m.src, `live preview · image ${m.image + 1} · step ${m.step}`); return;
      default: return;
    }
  });
  ready();
}
