import { parseGenerationParameters } from './infotext/a1111';
import type { Img2ImgParams, InfotextParseResult } from './protocol';

const toInt = (v: string | undefined): number | undefined => (v !== undefined && /^-?\d+$/.test(v.trim()) ? Number(v) : undefined);
const toNum = (v: string | undefined): number | undefined => (v !== undefined && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

/**
 * An A1111 infotext → img2img params, as A1111's "paste" does: the fields it carries override, the rest stay
 * at their defaults. Every key is also returned raw (`fields`), unknown ones included.
 */
export function paramsFromInfotext(text: string): InfotextParseResult {
  const parsed = parseGenerationParameters(text);
  const f = parsed.fields;
  const params: Img2ImgParams = { prompt: parsed.prompt, negative_prompt: parsed.negativePrompt };
  const set = <K extends keyof Img2ImgParams>(key: K, value: Img2ImgParams[K] | undefined): void => {
    if (value !== undefined) params[key] = value;
  };
  set('steps', toInt(f['Steps']));
  set('sampler_name', f['Sampler']);
  set('scheduler', f['Schedule type']);
  set('cfg_scale', toNum(f['CFG scale']));
  set('seed', toInt(f['Seed']));
  set('width', toInt(f['Size-1']));
  set('height', toInt(f['Size-2']));
  set('denoising_strength', toNum(f['Denoising strength']));
  if (toNum(f['Variation seed strength'])) {
    set('subseed', toInt(f['Variation seed']));
    set('subseed_strength', toNum(f['Variation seed strength']));
  }
  set('seed_resize_from_w', toInt(f['Seed resize from-1']));
  set('seed_resize_from_h', toInt(f['Seed resize from-2']));
  const overrides: NonNullable<Img2ImgParams['override_settings']> = {};
  const rng = f['RNG'];
  if (rng === 'GPU' || rng === 'CPU' || rng === 'NV') overrides.randn_source = rng;
  const ensd = toInt(f['ENSD']);
  if (ensd !== undefined) overrides.eta_noise_seed_delta = ensd;
  const clipSkip = toInt(f['Clip skip']);
  if (clipSkip !== undefined && clipSkip > 1) overrides.CLIP_stop_at_last_layers = clipSkip;
  if (Object.keys(overrides).length) params.override_settings = overrides;
  return { params, fields: f };
}
