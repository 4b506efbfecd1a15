// The X/Y/Z plot's axes (`scripts/xyz_grid.py`): A1111's axis labels, how a values text becomes a list
// (`csv_string_to_list_strip`, `1-5 (+2)` and `10-20 [5]` ranges, np.arange / np.linspace), how each value is set
// on a job's params, and how it is labelled in the legend. Pure: the runner is pipelines/xyz.ts.
import { pyCsvRows, pyFloatStr, pyStrip } from '../infotext/python';
import type { Img2ImgParams } from '../protocol';

export type AxisValue = number | string | string[];
type AxisType = 'int' | 'float' | 'str' | 'permutations';

export interface AxisOption {
  label: string;
  type: AxisType;
  /** txt2img-only / img2img-only axes (A1111's AxisOptionTxt2Img / AxisOptionImg2Img). */
  tab?: 'txt2img' | 'img2img';
  apply(p: Img2ImgParams, x: AxisValue, xs: readonly AxisValue[]): void;
  /** The legend text; A1111's default is "Label: value". */
  format?: (x: AxisValue) => string;
  /** Slow to change (a model load): iterated outermost. */
  cost?: number;
}

const field = <K extends keyof Img2ImgParams>(k: K) => (p: Img2ImgParams, x: AxisValue): void => {
  p[k] = x as Img2ImgParams[K];
};
const override = (k: string, bool = false) => (p: Img2ImgParams, x: AxisValue): void => {
  p.override_settings = { ...p.override_settings, [k]: bool ? String(x).toLowerCase() === 'true' : x } as Img2ImgParams['override_settings'];
};
const valueOnly = (x: AxisValue): string => (Array.isArray(x) ? x.join(', ') : typeof x === 'number' ? pyNum(x) : x);
const basenameOf = (x: AxisValue): string => String(x).split(/[/\\]/).pop() ?? String(x);

/** Python's str() of an axis number (`round(x, 8)` for floats). */
function pyNum(x: number): string {
  return Number.isInteger(x) && !Object.is(x, -0) && String(x) === x.toFixed(0) ? String(x) : pyFloatStr(Math.round(x * 1e8) / 1e8);
}

/** `apply_prompt`: replace the first value in the prompt and negative prompt with each value. */
function applyPrompt(p: Img2ImgParams, x: AxisValue, xs: readonly AxisValue[]): void {
  const from = String(xs[0]);
  const prompt = p.prompt ?? '';
  const neg = p.negative_prompt ?? '';
  if (!prompt.includes(from) && !neg.includes(from)) throw new Error(`Prompt S/R did not find ${from} in prompt or negative prompt.`);
  p.prompt = prompt.split(from).join(String(x));
  p.negative_prompt = neg.split(from).join(String(x));
}

/** `apply_order`: the tokens of the prompt in the value's order. */
function applyOrder(p: Img2ImgParams, x: AxisValue): void {
  const tokens = x as string[];
  let prompt = p.prompt ?? '';
  const order = tokens.map((t) => [prompt.indexOf(t), t] as const).sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  for (const [, token] of order) {
    const n = prompt.indexOf(token);
    parts.push(prompt.slice(0, n));
    prompt = prompt.slice(n + token.length);
  }
  p.prompt = parts.map((part, i) => part + tokens[i]).join('') + prompt;
}

/** `apply_face_restore`: CodeFormer / GFPGAN pick the restorer; true/yes/y/1 turn it on with the default one. */
function applyFaceRestore(p: Img2ImgParams, x: AxisValue): void {
  const v = String(x).toLowerCase();
  const model = v === 'codeformer' ? 'CodeFormer' : v === 'gfpgan' ? 'GFPGAN' : undefined;
  p.restore_faces = model !== undefined || ['true', 'yes', 'y', '1'].includes(v);
  if (model) p.override_settings = { ...p.override_settings, face_restoration_model: model };
}

function applySize(p: Img2ImgParams, x: AxisValue): void {
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(String(x));
  if (!m) throw new Error(`Size: expected WIDTHxHEIGHT, got "${String(x)}"`);
  p.width = Number(m[1]);
  p.height = Number(m[2]);
}

export const AXIS_OPTIONS: readonly AxisOption[] = [
  { label: 'Nothing', type: 'str', apply: () => undefined, format: () => '' },
  { label: 'Seed', type: 'int', apply: field('seed') },
  { label: 'Var. seed', type: 'int', apply: field('subseed') },
  { label: 'Var. strength', type: 'float', apply: field('subseed_strength') },
  { label: 'Steps', type: 'int', apply: field('steps') },
  { label: 'Hires steps', type: 'int', tab: 'txt2img', apply: field('hr_second_pass_steps') },
  { label: 'CFG Scale', type: 'float', apply: field('cfg_scale') },
  { label: 'Prompt S/R', type: 'str', apply: applyPrompt, format: valueOnly },
  { label: 'Prompt order', type: 'permutations', apply: applyOrder, format: valueOnly },
  { label: 'Sampler', type: 'str', apply: field('sampler_name'), format: valueOnly },
  { label: 'Hires sampler', type: 'str', tab: 'txt2img', apply: field('hr_sampler_name') },
  { label: 'Checkpoint name', type: 'str', apply: field('model'), format: basenameOf, cost: 1 },
  { label: 'Negative Guidance minimum sigma', type: 'float', apply: field('s_min_uncond') },
  { label: 'Schedule type', type: 'str', apply: field('scheduler') },
  { label: 'Clip skip', type: 'int', apply: override('CLIP_stop_at_last_layers') },
  { label: 'Denoising', type: 'float', apply: field('denoising_strength') },
  { label: 'Initial noise multiplier', type: 'float', apply: field('initial_noise_multiplier') },
  { label: 'Hires upscaler', type: 'str', tab: 'txt2img', apply: field('hr_upscaler') },
  { label: 'Hires upscale', type: 'float', tab: 'txt2img', apply: field('hr_scale') },
  { label: 'Hires CFG Scale', type: 'float', tab: 'txt2img', apply: field('hr_cfg') },
  { label: 'Cond. Image Mask Weight', type: 'float', tab: 'img2img', apply: override('inpainting_mask_weight') },
  { label: 'VAE', type: 'str', apply: override('sd_vae'), cost: 0.7 },
  { label: 'Styles', type: 'str', apply: (p, x) => { p.styles = [...(p.styles ?? []), ...String(x).split(',')]; } },
  { label: 'Face restore', type: 'str', apply: applyFaceRestore, format: valueOnly },
  { label: 'Token merging ratio', type: 'float', apply: override('token_merging_ratio') },
  { label: 'Token merging ratio high-res', type: 'float', apply: override('token_merging_ratio_hr') },
  { label: 'Size', type: 'str', apply: applySize, format: valueOnly },
  { label: 'RNG source', type: 'str', apply: override('randn_source') },
];

export function findAxis(label: string | undefined): AxisOption | undefined {
  const l = (label ?? 'Nothing').trim().toLowerCase();
  return AXIS_OPTIONS.find((o) => o.label.toLowerCase() === l);
}

/** `format_value_add_label` unless the axis has its own; a float axis's values are Python floats ("3.0"). */
export function axisLabel(o: AxisOption, x: AxisValue): string {
  if (o.format) return o.format(x);
  const v = o.type === 'float' && typeof x === 'number' ? pyFloatStr(Math.round(x * 1e8) / 1e8) : valueOnly(x);
  return `${o.label}: ${v}`;
}

/** `csv_string_to_list_strip`: Python's csv reader over the text, every value stripped. */
export const csvValues = (text: string): string[] => pyCsvRows(text).flat().map((v) => pyStrip(v));

const RE_RANGE = /^\s*([+-]?\s*\d+)\s*-\s*([+-]?\s*\d+)(?:\s*\(([+-]\d+)\s*\))?\s*$/;
const RE_RANGE_FLOAT = /^\s*([+-]?\s*\d+(?:.\d*)?)\s*-\s*([+-]?\s*\d+(?:.\d*)?)(?:\s*\(([+-]\d+(?:.\d*)?)\s*\))?\s*$/;
const RE_RANGE_COUNT = /^\s*([+-]?\s*\d+)\s*-\s*([+-]?\s*\d+)(?:\s*\[(\d+)\s*])?\s*$/;
const RE_RANGE_COUNT_FLOAT = /^\s*([+-]?\s*\d+(?:.\d*)?)\s*-\s*([+-]?\s*\d+(?:.\d*)?)(?:\s*\[(\d+(?:.\d*)?)\s*])?\s*$/;

const num = (s: string): number => Number(s.replace(/\s+/g, ''));

/** np.linspace(start, stop, num). */
function linspace(start: number, stop: number, n: number): number[] {
  if (n <= 0) return [];
  if (n === 1) return [start];
  const step = (stop - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? stop : start + i * step));
}

/** np.arange(start, stop, step). */
function arange(start: number, stop: number, step: number): number[] {
  if (step === 0) throw new Error('a range step of 0 never ends');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return Array.from({ length: n }, (_, i) => start + i * step);
}

/** All permutations in itertools.permutations order. */
function permutations(items: string[]): string[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** Python int(): an optional sign and digits (spaces around allowed), else A1111 stops with ValueError. */
function pyInt(v: string, label: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(v)) throw new Error(`${label}: invalid literal for int(): "${v}"`);
  return Number(v);
}

function pyFloat(v: string, label: string): number {
  const n = Number(v.trim());
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`${label}: could not convert string to float: "${v}"`);
  return n;
}

/** `process_axis`: the values text → the axis's values (ranges expanded, types converted). */
export function axisValues(o: AxisOption, text: string): AxisValue[] {
  if (o.label === 'Nothing') return [0];
  const list = csvValues(text);
  if (o.type === 'int') {
    return list.flatMap((v) => {
      const m = RE_RANGE.exec(v);
      if (m) return arange(num(m[1]!), num(m[2]!) + 1, m[3] ? num(m[3]) : 1);
      const c = RE_RANGE_COUNT.exec(v);
      if (c) return linspace(num(c[1]!), num(c[2]!), c[3] ? Number(c[3]) : 1).map((x) => Math.trunc(x));
      return [pyInt(v, o.label)];
    });
  }
  if (o.type === 'float') {
    return list.flatMap((v) => {
      const m = RE_RANGE_FLOAT.exec(v);
      if (m) {
        const step = m[3] ? num(m[3]) : 1;
        return arange(num(m[1]!), num(m[2]!) + step, step);
      }
      const c = RE_RANGE_COUNT_FLOAT.exec(v);
      if (c) return linspace(num(c[1]!), num(c[2]!), c[3] ? Math.trunc(Number(c[3])) : 1);
      return [pyFloat(v, o.label)];
    });
  }
  if (o.type === 'permutations') return permutations(list);
  return list;
}
