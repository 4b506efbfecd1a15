// A1111's scripts as the API serves them: the selectable ones SD Studio has (`script_name`, matched on the title
// case-insensitively as `api.py: script_name_to_index` does, with positional `script_args` over the UI defaults as
// `init_script_args` lays them), each mapped onto its protocol method; the "Soft Inpainting" always-on script's
// args; and /scripts and /script-info built from the same tables.
import type { Img2ImgParams, OutpaintParams, SoftInpaintingParams } from '../protocol';
import type { ApiContext } from './context';
import { HttpError } from './errors';
import {
  argBool, argChoices, argIndex, argNumber, argString, checkbox, radio, scriptArgJson, slider, type ScriptArg, type ScriptRun, type Tab,
} from './scriptArgs';
import { runXyzScript, XYZ_TITLE, xyzArgs } from './xyzScript';

interface SelectableScript {
  title: string;
  tabs: readonly Tab[];
  /** `Script.ui`'s controls, in `script_args` order. */
  args(tab: Tab): ScriptArg[];
  /** `Script.run(p, *script_args)` on the request's job. */
  run(api: ApiContext, params: Img2ImgParams, args: readonly unknown[], tab: Tab): Promise<ScriptRun>;
}

const DIRECTIONS = ['left', 'right', 'up', 'down'] as const;
const FILLS = ['fill', 'original', 'latent noise', 'latent nothing'];
const MK2_INFO = '<p style="margin-bottom:0.75em">Recommended settings: Sampling Steps: 80-100, Sampler: Euler a, Denoising strength: 0.8</p>';

/** A job of a script: the API's job id on the script's request, not on the cells' params. */
function split(params: Img2ImgParams): { params: Img2ImgParams; jobId?: string } {
  const { jobId, ...rest } = params;
  return { params: rest, ...(jobId ? { jobId } : {}) };
}

const SCRIPTS: readonly SelectableScript[] = [
  {
    title: 'Outpainting mk2',
    tabs: ['img2img'],
    args: () => [
      { label: '', value: MK2_INFO }, slider('Pixels to expand', 128, 8, 256, 8), slider('Mask blur', 8, 0, 64, 1),
      { label: 'Outpainting direction', value: [...DIRECTIONS], choices: [...DIRECTIONS] },
      slider('Fall-off exponent (lower=higher detail)', 1, 0, 4, 0.01), slider('Color variation', 0.05, 0, 1, 0.01),
    ],
    async run(api, params, args) {
      const p: OutpaintParams = {
        ...params, outpaint_method: 'mk2', pixels: argNumber(args, 1, 128, 'Pixels to expand'), outpaint_mask_blur: argNumber(args, 2, 8, 'Mask blur'),
        directions: argChoices(args, 3, DIRECTIONS, 'Outpainting direction', DIRECTIONS) as OutpaintParams['directions'],
        noise_q: argNumber(args, 4, 1, 'Fall-off exponent (lower=higher detail)'), color_variation: argNumber(args, 5, 0.05, 'Color variation'),
      };
      return { result: await api.server.call('sd/outpaint', p), singles: true };
    },
  },
  {
    title: "Poor man's outpainting",
    tabs: ['img2img'],
    args: () => [
      slider('Pixels to expand', 128, 8, 256, 8), slider('Mask blur', 4, 0, 64, 1), radio('Masked content', 'fill', FILLS),
      { label: 'Outpainting direction', value: [...DIRECTIONS], choices: [...DIRECTIONS] },
    ],
    async run(api, params, args) {
      const p: OutpaintParams = {
        ...params, outpaint_method: 'poor-man', pixels: argNumber(args, 0, 128, 'Pixels to expand'), outpaint_mask_blur: argNumber(args, 1, 4, 'Mask blur'),
        inpainting_fill: argIndex(args, 2, 0, 'Masked content', FILLS) as OutpaintParams['inpainting_fill'],
        directions: argChoices(args, 3, DIRECTIONS, 'Outpainting direction', DIRECTIONS) as OutpaintParams['directions'],
      };
      return { result: await api.server.call('sd/outpaint', p), singles: true };
    },
  },
  {
    title: 'Prompt matrix',
    tabs: ['txt2img', 'img2img'],
    args: () => [
      checkbox('Put variable parts at start of prompt'), checkbox('Use different seed for each picture'),
      radio('Select prompt', 'positive', ['positive', 'negative']), radio('Select joining char', 'comma', ['comma', 'space']),
      slider('Grid margins (px)', 0, 0, 500, 2),
    ],
    async run(api, params, args) {
      const r = await api.server.call('sd/promptMatrix', {
        ...split(params), put_at_start: argBool(args, 0, false), different_seeds: argBool(args, 1, false),
        prompt_type: argString(args, 2, 'positive', 'Select prompt') as 'positive', variations_delimiter: argString(args, 3, 'comma', 'Select joining char') as 'comma',
        margin_size: argNumber(args, 4, 0, 'Grid margins (px)'),
      });
      return { result: r, singles: true };
    },
  },
  {
    title: 'Prompts from file or textbox',
    tabs: ['txt2img', 'img2img'],
    args: () => [
      checkbox('Iterate seed every line'), checkbox('Use same random seed for all lines'),
      radio('Insert prompts at the', 'start', ['start', 'end']), { label: 'List of prompt inputs', value: '' },
    ],
    async run(api, params, args) {
      const r = await api.server.call('sd/promptsFromFile', {
        ...split(params), iterate_seed: argBool(args, 0, false), same_seed: argBool(args, 1, false),
        prompt_position: argString(args, 2, 'start', 'Insert prompts at the') as 'start', text: argString(args, 3, '', 'List of prompt inputs'),
      });
      return { result: r, singles: true };
    },
  },
  { title: XYZ_TITLE, tabs: ['txt2img', 'img2img'], args: xyzArgs, run: runXyzScript },
];

/** `soft_inpainting.py: Script.ui` (an always-on img2img script). */
const SOFT_INPAINTING_ARGS: ScriptArg[] = [
  checkbox('Soft inpainting'), slider('Schedule bias', 1, 0, 8, 0.1), slider('Preservation strength', 0.5, 0, 8, 0.05),
  slider('Transition contrast boost', 4, 1, 32, 0.5), slider('Mask influence', 0, 0, 1, 0.05), slider('Difference threshold', 0.5, 0, 8, 0.25),
  slider('Difference contrast', 2, 0, 8, 0.25),
];
const SOFT_INPAINTING = 'soft inpainting';

/** The selectable script `script_name` names on this tab; undefined without one; A1111's 422 for an unknown one. */
export function selectableScript(name: unknown, tab: Tab): SelectableScript | undefined {
  if (typeof name !== 'string' || name === '') return undefined;
  const s = SCRIPTS.find((x) => x.tabs.includes(tab) && x.title.toLowerCase() === name.toLowerCase());
  if (!s) throw new HttpError(422, `Script '${name}' not found`);
  return s;
}

/** The "Soft Inpainting" always-on script's args (`alwayson_scripts`); any other always-on script is A1111's 422. */
export function softInpainting(scripts: Record<string, unknown>, tab: Tab): SoftInpaintingParams | undefined {
  let soft: SoftInpaintingParams | undefined;
  for (const [name, value] of Object.entries(scripts)) {
    if (name.toLowerCase() !== SOFT_INPAINTING || tab !== 'img2img') throw new HttpError(422, `always on script ${name} not found`);
    const args = (value as { args?: unknown } | null)?.args;
    if (args === undefined) continue;
    if (!Array.isArray(args)) throw new HttpError(422, `alwayson_scripts["${name}"].args: expected a list`);
    const keys = ['schedule_bias', 'preservation_strength', 'transition_contrast_boost', 'mask_influence', 'difference_threshold', 'difference_contrast'] as const;
    soft = { enabled: argBool(args, 0, false) };
    keys.forEach((k, i) => {
      const def = SOFT_INPAINTING_ARGS[i + 1]!;
      soft![k] = argNumber(args, i + 1, def.value as number, def.label);
    });
  }
  return soft;
}

/** /sdapi/v1/scripts: `ScriptsList` of the scripts' names (`title().lower()`), selectable and always-on. */
export function scriptsList(): { txt2img: string[]; img2img: string[] } {
  const names = (tab: Tab): string[] => SCRIPTS.filter((s) => s.tabs.includes(tab)).map((s) => s.title.toLowerCase());
  return { txt2img: names('txt2img'), img2img: [...names('img2img'), SOFT_INPAINTING] };
}

/** /sdapi/v1/script-info: one `ScriptInfo` per script and tab, txt2img's first. */
export function scriptInfo(): unknown[] {
  const info = (name: string, tab: Tab, alwayson: boolean, args: ScriptArg[]): unknown => ({ name, is_alwayson: alwayson, is_img2img: tab === 'img2img', args: args.map(scriptArgJson) });
  const out: unknown[] = [];
  for (const tab of ['txt2img', 'img2img'] as const) {
    for (const s of SCRIPTS) if (s.tabs.includes(tab)) out.push(info(s.title.toLowerCase(), tab, false, s.args(tab)));
  }
  out.push(info(SOFT_INPAINTING, 'img2img', true, SOFT_INPAINTING_ARGS));
  return out;
}
