// SDXL's vector conditioning besides the pooled text, as A1111 builds it (modules/sd_models_xl.py:
// get_learned_conditioning): original size = target size = the generation's (height, width), crop = the settings
// "sdxl_crop_top" / "sdxl_crop_left" (0, 0); the refiner's fifth number is the aesthetic score, "high" (6) for the
// prompt and "low" (2.5) for the negative prompt. The UNet computes the sinusoidal embeddings itself from these
// numbers (diffusers time_ids order: original h, w, crop top, left, then target h, w or the aesthetic score).
//
// The negative prompt is ENCODED like any prompt, except that an empty one gives zeros for the text parts
// (crossattn and pooled; the size numbers stay): A1111's `force_zero_negative_prompt = is_negative_prompt and
// all(x == '' for x in batch)` passed to sgm's conditioner as force_zero_embeddings=['txt']. We follow A1111
// because its users' infotexts must regenerate the same images: sgm's own demo zeros the negative always
// (force_uc_zero_embeddings), diffusers only when empty (force_zeros_for_empty_prompt) — the same as A1111.
import type { Conditioning } from './textConditioner';

export interface SdxlSizeConditioning {
  width: number;
  height: number;
  /** A1111 settings `sdxl_crop_top` / `sdxl_crop_left`, default 0. */
  cropTop: number;
  cropLeft: number;
  /** A1111 `sdxl_refiner_high_aesthetic_score` (6.0) / `sdxl_refiner_low_aesthetic_score` (2.5): the refiner only. */
  highAestheticScore: number;
  lowAestheticScore: number;
}

export const SDXL_SIZE_DEFAULTS = { cropTop: 0, cropLeft: 0, highAestheticScore: 6, lowAestheticScore: 2.5 } as const;

/** The time_ids of one conditioning: 6 (base) or 5 (refiner: the aesthetic score instead of the target size). */
export function sdxlTimeIds(count: number, s: SdxlSizeConditioning, negative: boolean): Float32Array {
  if (count === 5) return Float32Array.of(s.height, s.width, s.cropTop, s.cropLeft, negative ? s.lowAestheticScore : s.highAestheticScore);
  if (count === 6) return Float32Array.of(s.height, s.width, s.cropTop, s.cropLeft, s.height, s.width);
  throw new Error(`an SDXL UNet takes 5 or 6 time_ids, this one ${count}`);
}

/** The same conditioning with its text parts zeroed (sgm force_zero_embeddings=['txt']). */
export function zeroText(c: Conditioning): Conditioning {
  return { ...c, hidden: new Float32Array(c.hidden.length), ...(c.pooled ? { pooled: new Float32Array(c.pooled.length) } : {}) };
}
