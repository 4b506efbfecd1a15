// What a panel's "Generate" may ask of the daemon. The webview is the least trusted part of the extension (it
// renders image metadata and prompts from files), so its request is rebuilt from an allow-list of form fields,
// as the Extras panel does: anything else it sends (an output folder, a model path, save/send switches, override
// settings) is dropped, and the host adds the images itself.
import type { AestheticParams, Img2ImgParams, OutpaintParams, PromptMatrixParams, PromptsFromFileParams, XyzParams } from '../../daemon/protocol';
import type { InpaintOptions, OutpaintOptions, ScriptOptions } from '../../webviews/common/messages';

/** The generation form's fields (webviews/common/generationPanel.ts with its Refiner section, and the Hires. fix section of toolSections.ts). */
export const GENERATE_KEYS = [
  'prompt', 'negative_prompt', 'sampler_name', 'scheduler', 'steps', 'width', 'height', 'resize_mode', 'cfg_scale',
  'denoising_strength', 'seed', 'subseed', 'subseed_strength', 'seed_resize_from_w', 'seed_resize_from_h', 'n_iter', 'batch_size',
  'enable_hr', 'hr_upscaler', 'hr_scale', 'hr_second_pass_steps', 'hr_resize_x', 'hr_resize_y', 'hr_sampler_name', 'hr_scheduler',
  'hr_cfg', 'hr_prompt', 'hr_negative_prompt', 'refiner_checkpoint', 'refiner_switch_at',
] as const satisfies ReadonlyArray<keyof Img2ImgParams>;

/** The inpaint form's fields. */
export const INPAINT_KEYS = [
  'mask_blur', 'inpainting_fill', 'inpaint_full_res', 'inpaint_full_res_padding', 'inpainting_mask_invert',
] as const satisfies ReadonlyArray<keyof InpaintOptions>;

/** The outpainting script's fields (the inpaint panel). */
export const OUTPAINT_KEYS = ['outpaint_method', 'pixels', 'color_variation'] as const satisfies ReadonlyArray<keyof OutpaintOptions>;

/** The aesthetic-gradients section's fields (webviews/common/aestheticForm.ts), sent as `aesthetic`. */
export const AESTHETIC_KEYS = ['embedding', 'weight', 'steps', 'lr', 'slerp', 'slerp_angle', 'text', 'text_negative'] as const satisfies ReadonlyArray<keyof AestheticParams>;

/** The Script dropdown's fields per script (webviews/common/toolSections.ts); X/Y/Z axes are `{type, values}`. */
const SCRIPT_KEYS = {
  xyz: ['draw_legend', 'no_fixed_seeds', 'include_sub_grids', 'margin_size'],
  promptMatrix: ['put_at_start', 'different_seeds', 'prompt_type', 'variations_delimiter', 'margin_size'],
  promptsFromFile: ['text', 'iterate_seed', 'same_seed', 'prompt_position'],
} as const satisfies { xyz: ReadonlyArray<keyof XyzParams>; promptMatrix: ReadonlyArray<keyof PromptMatrixParams>; promptsFromFile: ReadonlyArray<keyof PromptsFromFileParams> };

const JOB_ID = /^[\w.-]{1,100}$/;

/** Only plain values: the daemon checks each field's type and range and names the field it refuses. */
const plain = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** The plain values of `keys` found in `src`, into `out`. */
function pick(out: Record<string, unknown>, src: unknown, keys: readonly string[]): Record<string, unknown> {
  if (typeof src !== 'object' || src === null) return out;
  for (const k of keys) {
    const v = (src as Record<string, unknown>)[k];
    if (v !== undefined && plain(v)) out[k] = v;
  }
  return out;
}

/**
 * The params to send for a panel's Generate: the allowed form fields of `params` and `inpaint`, and a job id (the
 * webview's, when it is a plain id, so its Interrupt button can name the job; else `fallbackJobId`).
 */
export function generateParams(params: unknown, inpaint: unknown, fallbackJobId: string): Img2ImgParams & { jobId: string } {
  const out = pick({}, params, GENERATE_KEYS);
  pick(out, inpaint, INPAINT_KEYS);
  // Aesthetic gradients: its section's fields, when an embedding is chosen.
  const aesthetic = pick({}, typeof params === 'object' && params !== null ? (params as { aesthetic?: unknown }).aesthetic : undefined, AESTHETIC_KEYS);
  if (typeof aesthetic.embedding === 'string') out.aesthetic = aesthetic;
  // Styles (names from styles.csv, applied by the daemon): a list of words.
  const styles = typeof params === 'object' && params !== null ? (params as { styles?: unknown }).styles : undefined;
  if (Array.isArray(styles) && styles.every((x) => typeof x === 'string')) out.styles = [...(styles as string[])];
  const id = typeof params === 'object' && params !== null ? (params as { jobId?: unknown }).jobId : undefined;
  return { ...(out as Img2ImgParams), jobId: typeof id === 'string' && JOB_ID.test(id) ? id : fallbackJobId };
}

/** The outpainting options the webview may set: its fields, and `directions` as a list of words. */
export function outpaintParams(options: unknown): Pick<OutpaintParams, 'outpaint_method' | 'pixels' | 'color_variation' | 'directions'> {
  const out = pick({}, options, OUTPAINT_KEYS);
  const o = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>;
  if (Array.isArray(o.directions) && o.directions.every((d) => typeof d === 'string')) out.directions = [...(o.directions as string[])];
  return out;
}

/** The script the webview chose, rebuilt from its script's fields (undefined for an unknown kind). */
export function scriptOptions(script: unknown): ScriptOptions | undefined {
  if (typeof script !== 'object' || script === null) return undefined;
  const s = script as Record<string, unknown>;
  if (s.kind !== 'xyz' && s.kind !== 'promptMatrix' && s.kind !== 'promptsFromFile') return undefined;
  const out = pick({ kind: s.kind }, s, SCRIPT_KEYS[s.kind]);
  if (s.kind === 'xyz') {
    for (const axis of ['x', 'y', 'z'] as const) {
      const a = pick({}, s[axis], ['type', 'values']);
      if (typeof a.type === 'string' && typeof a.values === 'string') out[axis] = a;
    }
  }
  return out as ScriptOptions;
}
