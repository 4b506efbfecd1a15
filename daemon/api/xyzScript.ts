// The "X/Y/Z plot" script through A1111's API: `script_args` in `scripts/xyz_grid.py: Script.ui`'s order (axis
// types as indexes into A1111 1.10's axis list for the tab, values as text or, for axes with choices, the
// dropdown's list unless "Use text inputs instead of dropdowns"), mapped onto `sd/xyz`. Which axes SD Studio can
// plot is the daemon's knowledge (scripts/xyzAxes.ts): an axis it lacks comes back as its 422 naming the axis.
import type { GenerationResult, Img2ImgParams, XyzAxisParams, XyzParams } from '../protocol';
import { pyCsvRow } from '../infotext/python';
import type { ApiContext } from './context';
import { HttpError } from './errors';
import { argBool, argNumber, checkbox, pyTruthy, slider, type ScriptArg, type ScriptRun, type Tab } from './scriptArgs';

type Axis = readonly [label: string, tab: Tab | undefined, choices: boolean];

/** `xyz_grid.py: axis_options` of A1111 1.10 in order: AxisOptionTxt2Img / AxisOptionImg2Img carry a tab. */
const A1111_AXES: readonly Axis[] = [
  ['Nothing', undefined, false], ['Seed', undefined, false], ['Var. seed', undefined, false], ['Var. strength', undefined, false],
  ['Steps', undefined, false], ['Hires steps', 'txt2img', false], ['CFG Scale', undefined, false], ['Image CFG Scale', 'img2img', false],
  ['Prompt S/R', undefined, false], ['Prompt order', undefined, false], ['Sampler', 'txt2img', true], ['Hires sampler', 'txt2img', true],
  ['Sampler', 'img2img', true], ['Checkpoint name', undefined, true], ['Negative Guidance minimum sigma', undefined, false],
  ['Sigma Churn', undefined, false], ['Sigma min', undefined, false], ['Sigma max', undefined, false], ['Sigma noise', undefined, false],
  ['Schedule type', undefined, true], ['Schedule min sigma', undefined, false], ['Schedule max sigma', undefined, false],
  ['Schedule rho', undefined, false], ['Skip Early CFG', undefined, false], ['Beta schedule alpha', undefined, false],
  ['Beta schedule beta', undefined, false], ['Eta', undefined, false], ['Clip skip', undefined, false], ['Denoising', undefined, false],
  ['Initial noise multiplier', undefined, false], ['Extra noise', undefined, false], ['Hires upscaler', 'txt2img', true],
  ['Cond. Image Mask Weight', 'img2img', false], ['VAE', undefined, true], ['Styles', undefined, true], ['UniPC Order', undefined, false],
  ['Face restore', undefined, false], ['Token merging ratio', undefined, false], ['Token merging ratio high-res', undefined, false],
  ['Always discard next-to-last sigma', undefined, true], ['SGM noise multiplier', undefined, true], ['Refiner checkpoint', undefined, true],
  ['Refiner switch at', undefined, false], ['RNG source', undefined, true], ['FP8 mode', undefined, true], ['Size', undefined, false],
];

/** `Script.ui`'s `current_axis_options`: the axes shown on a tab. */
const tabAxes = (tab: Tab): Axis[] => A1111_AXES.filter((a) => !a[1] || a[1] === tab);

export const XYZ_TITLE = 'X/Y/Z plot';

/** The controls `Script.ui` returns, as /script-info lists them (a dropdown's value is its label, as gradio's). */
export function xyzArgs(tab: Tab): ScriptArg[] {
  const labels = tabAxes(tab).map((a) => a[0]);
  const axis = (n: 'X' | 'Y' | 'Z', value: string): ScriptArg[] => [
    { label: `${n} type`, value, choices: labels },
    { label: `${n} values`, value: '' },
    { label: `${n} values`, value: null, choices: [] },
  ];
  return [
    ...axis('X', labels[1]!), ...axis('Y', labels[0]!), ...axis('Z', labels[0]!),
    checkbox('Draw legend', true), checkbox('Include Sub Images'), checkbox('Include Sub Grids'), checkbox('Keep -1 for seeds'),
    checkbox('Vary seeds for X'), checkbox('Vary seeds for Y'), checkbox('Vary seeds for Z'),
    slider('Grid margins (px)', 0, 0, 500, 2), checkbox('Use text inputs instead of dropdowns'),
  ];
}

/** One axis from its three args (type, values text, values dropdown); undefined for "Nothing". */
function axisArg(args: readonly unknown[], at: number, name: 'X' | 'Y' | 'Z', tab: Tab, csvMode: boolean): XyzAxisParams | undefined {
  const axes = tabAxes(tab);
  const type = args[at];
  // `x_type or 0`: a missing type is "Nothing"; beyond A1111, an axis label is taken as well as its index.
  const axis = !pyTruthy(type) ? axes[0]
    : typeof type === 'number' && Number.isInteger(type) ? axes[type]
    : typeof type === 'string' ? axes.find((a) => a[0].toLowerCase() === type.trim().toLowerCase()) : undefined;
  if (!axis) throw new HttpError(422, `script_args[${at}] (${name} type): ${JSON.stringify(type)} is not an axis of the ${tab} X/Y/Z plot (an index 0..${axes.length - 1} or a label)`);
  if (axis[0] === 'Nothing') return undefined;
  const text = args[at + 1];
  const dropdown = args[at + 2];
  // `if opt.choices is not None and not csv_mode: x_values = list_to_csv_string(x_values_dropdown)`; an empty
  // dropdown with values typed in (clients written before the dropdowns) uses the text.
  const listed = axis[2] && !csvMode && Array.isArray(dropdown) && dropdown.length > 0;
  if (!listed && text !== undefined && text !== null && typeof text !== 'string' && typeof text !== 'number') {
    throw new HttpError(422, `script_args[${at + 1}] (${name} values): expected the values as text, got ${JSON.stringify(text)}`);
  }
  return { type: axis[0], values: listed ? pyCsvRow((dropdown as unknown[]).map(String)) : String(text ?? '') };
}

/** `Script.run(p, x_type, x_values, x_values_dropdown, …, margin_size, csv_mode)` → `sd/xyz`. */
export async function runXyzScript(api: ApiContext, params: Img2ImgParams, args: readonly unknown[], tab: Tab): Promise<ScriptRun> {
  const csvMode = argBool(args, 17, false);
  const [x, y, z] = (['X', 'Y', 'Z'] as const).map((n, i) => axisArg(args, i * 3, n, tab, csvMode));
  const { jobId, ...cell } = params;
  const req: XyzParams = {
    ...(x ? { x } : {}), ...(y ? { y } : {}), ...(z ? { z } : {}),
    draw_legend: argBool(args, 9, true),
    include_sub_grids: argBool(args, 11, false),
    no_fixed_seeds: argBool(args, 12, false),
    vary_seeds: { x: argBool(args, 13, false), y: argBool(args, 14, false), z: argBool(args, 15, false) },
    margin_size: argNumber(args, 16, 0, 'Grid margins (px)'),
    params: cell,
    ...(jobId ? { jobId } : {}),
  };
  const result: GenerationResult = await api.server.call('sd/xyz', req);
  // A1111 keeps each cell's first image (`processed.images[0]`) as the cell's single.
  const perCell = Math.max(1, (params.batch_size ?? 1) * (params.n_iter ?? 1));
  const singles = result.images.length % perCell === 0 ? result.images.filter((_, i) => i % perCell === 0) : result.images;
  return { result: { ...result, images: singles }, singles: argBool(args, 10, false) };
}
