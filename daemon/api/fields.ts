// The request bodies of A1111 1.10's /sdapi/v1/txt2img and /img2img as its pydantic models declare them
// (`modules/api/models.py`: StableDiffusionTxt2ImgProcessingAPI / StableDiffusionImg2ImgProcessingAPI, built from
// the `StableDiffusionProcessing*` constructors): every field, its type and its default, in declaration order.
// One table serves request checking, the `parameters` echo of the response and the OpenAPI document.

export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
export type FieldSpec = readonly [name: string, type: FieldType, defaultValue: unknown];

/** `StableDiffusionProcessing.__init__` (the dataclass fields the API does not hide). */
const PROCESSING: FieldSpec[] = [
  ['prompt', 'string', ''],
  ['negative_prompt', 'string', ''],
  ['styles', 'array', null],
  ['seed', 'integer', -1],
  ['subseed', 'integer', -1],
  ['subseed_strength', 'number', 0],
  ['seed_resize_from_h', 'integer', -1],
  ['seed_resize_from_w', 'integer', -1],
  ['sampler_name', 'string', null],
  ['scheduler', 'string', null],
  ['batch_size', 'integer', 1],
  ['n_iter', 'integer', 1],
  ['steps', 'integer', 50],
  ['cfg_scale', 'number', 7.0],
  ['width', 'integer', 512],
  ['height', 'integer', 512],
  ['restore_faces', 'boolean', null],
  ['tiling', 'boolean', null],
  ['do_not_save_samples', 'boolean', false],
  ['do_not_save_grid', 'boolean', false],
  ['eta', 'number', null],
  ['denoising_strength', 'number', null],
  ['s_min_uncond', 'number', null],
  ['s_churn', 'number', null],
  ['s_tmax', 'number', null],
  ['s_tmin', 'number', null],
  ['s_noise', 'number', null],
  ['override_settings', 'object', null],
  ['override_settings_restore_afterwards', 'boolean', true],
  ['refiner_checkpoint', 'string', null],
  ['refiner_switch_at', 'number', null],
  ['disable_extra_networks', 'boolean', false],
  ['firstpass_image', 'string', null],
  ['comments', 'object', null],
];

/** The API-only fields `models.py` appends to both request models. */
const apiTail = (img2img: boolean): FieldSpec[] => [
  ['force_task_id', 'string', null],
  ['sampler_index', 'string', 'Euler'],
  ...(img2img ? ([['include_init_images', 'boolean', false]] as FieldSpec[]) : []),
  ['script_name', 'string', null],
  ['script_args', 'array', []],
  ['send_images', 'boolean', true],
  ['save_images', 'boolean', false],
  ['alwayson_scripts', 'object', {}],
  ['infotext', 'string', null],
];

/** A dataclass subclass that redeclares a field keeps its place and changes its default. */
const withDefault = (name: string, value: unknown): FieldSpec[] => PROCESSING.map((f): FieldSpec => (f[0] === name ? [name, f[1], value] : f));

export const TXT2IMG_FIELDS: readonly FieldSpec[] = [
  // `StableDiffusionProcessingTxt2Img` redeclares denoising_strength = 0.75 (the hires pass's).
  ...withDefault('denoising_strength', 0.75),
  ['enable_hr', 'boolean', false],
  ['firstphase_width', 'integer', 0],
  ['firstphase_height', 'integer', 0],
  ['hr_scale', 'number', 2.0],
  ['hr_upscaler', 'string', null],
  ['hr_second_pass_steps', 'integer', 0],
  ['hr_resize_x', 'integer', 0],
  ['hr_resize_y', 'integer', 0],
  ['hr_checkpoint_name', 'string', null],
  ['hr_sampler_name', 'string', null],
  ['hr_scheduler', 'string', null],
  ['hr_prompt', 'string', ''],
  ['hr_negative_prompt', 'string', ''],
  ...apiTail(false),
];

export const IMG2IMG_FIELDS: readonly FieldSpec[] = [
  ...withDefault('denoising_strength', 0.75),
  ['init_images', 'array', null],
  ['resize_mode', 'integer', 0],
  ['image_cfg_scale', 'number', null],
  ['mask', 'string', null],
  ['mask_blur_x', 'integer', 4],
  ['mask_blur_y', 'integer', 4],
  ['mask_blur', 'integer', null],
  ['mask_round', 'boolean', true],
  ['inpainting_fill', 'integer', 0],
  ['inpaint_full_res', 'boolean', true],
  ['inpaint_full_res_padding', 'integer', 0],
  ['inpainting_mask_invert', 'integer', 0],
  ['initial_noise_multiplier', 'number', null],
  ['latent_mask', 'string', null],
  ...apiTail(true),
];

/**
 * Forge's additions to the txt2img request (`hr_cfg`, the hires pass's CFG scale): read when a client sends them,
 * echoed only then, so an A1111 client sees A1111 1.10's request model unchanged.
 */
export const FORGE_TXT2IMG_FIELDS: readonly FieldSpec[] = [['hr_cfg', 'number', null]];

/** `ExtrasBaseRequest` (+ `image` / `imageList`). */
export const EXTRAS_FIELDS: readonly FieldSpec[] = [
  ['resize_mode', 'integer', 0],
  ['show_extras_results', 'boolean', true],
  ['gfpgan_visibility', 'number', 0],
  ['codeformer_visibility', 'number', 0],
  ['codeformer_weight', 'number', 0],
  ['upscaling_resize', 'number', 2],
  ['upscaling_resize_w', 'integer', 512],
  ['upscaling_resize_h', 'integer', 512],
  ['upscaling_crop', 'boolean', true],
  ['upscaler_1', 'string', 'None'],
  ['upscaler_2', 'string', 'None'],
  ['extras_upscaler_2_visibility', 'number', 0],
  ['upscale_first', 'boolean', false],
];

/** One pydantic (v1) validation error, as FastAPI returns them in a 422 `detail` list. */
export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class RequestValidationError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.loc.join('.')}: ${e.msg}`).join('; '));
    this.name = 'RequestValidationError';
  }
}

const TYPE_ERRORS: Record<FieldType, [string, string]> = {
  string: ['str type expected', 'type_error.str'],
  integer: ['value is not a valid integer', 'type_error.integer'],
  number: ['value is not a valid float', 'type_error.float'],
  boolean: ['value could not be parsed to a boolean', 'type_error.bool'],
  array: ['value is not a valid list', 'type_error.list'],
  object: ['value is not a valid dict', 'type_error.dict'],
};

const TRUE = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

/** pydantic v1's lax coercion of one value; undefined when the value does not fit. */
function coerce(type: FieldType, v: unknown): unknown {
  switch (type) {
    case 'string':
      return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
    case 'integer': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      return Number.isFinite(n) ? Math.trunc(n) : typeof v === 'boolean' ? Number(v) : undefined;
    }
    case 'number': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      return Number.isFinite(n) ? n : typeof v === 'boolean' ? Number(v) : undefined;
    }
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (v === 0 || v === 1) return v === 1;
      if (typeof v === 'string' && TRUE.has(v.toLowerCase())) return true;
      if (typeof v === 'string' && FALSE.has(v.toLowerCase())) return false;
      return undefined;
    case 'array':
      return Array.isArray(v) ? v : undefined;
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
  }
}

export interface ParsedRequest {
  /** Every declared field: the request's value, else the default (what `vars(request)` shows). */
  values: Record<string, unknown>;
  /** Fields the request set (pydantic `exclude_unset`). */
  set: Set<string>;
}

/** Check a JSON body against a field table as pydantic does: unknown fields are ignored, null is allowed. */
export function parseRequest(body: unknown, fields: readonly FieldSpec[], required: readonly string[] = []): ParsedRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestValidationError([{ loc: ['body'], msg: 'value is not a valid dict', type: 'type_error.dict' }]);
  }
  const src = body as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  const set = new Set<string>();
  const errors: FieldError[] = [];
  for (const [name, type, def] of fields) {
    if (!(name in src)) {
      if (required.includes(name)) errors.push({ loc: ['body', name], msg: 'field required', type: 'value_error.missing' });
      values[name] = structuredClone(def);
      continue;
    }
    set.add(name);
    const raw = src[name];
    if (raw === null) {
      values[name] = null;
      continue;
    }
    const v = coerce(type, raw);
    if (v === undefined) {
      const [msg, t] = TYPE_ERRORS[type];
      errors.push({ loc: ['body', name], msg, type: t });
    } else values[name] = v;
  }
  if (errors.length) throw new RequestValidationError(errors);
  return { values, set };
}
