import { buildInfotext, type InfotextValue } from '../infotext/a1111';
import { pyFloatStr } from '../infotext/python';
import type { ResolvedAesthetic, ResolvedImg2Img } from '../validate';

export const SD_STUDIO_VERSION = 'sd-studio-v0.1.0';

export interface ImageFacts {
  /** 0 … 2^64 − 1, written in full. */
  seed: bigint;
  subseed: bigint;
  /** Sampler display name after legacy names were split ("DPM++ 2M Karras" → "DPM++ 2M"). */
  samplerName: string;
  /** Schedule type as A1111 writes it after resolution ("Karras" for DPM++ 2M + Automatic). */
  scheduleLabel: string;
  modelHash?: string;
  modelName?: string;
  /** A separately loaded VAE (SD VAE setting / `<checkpoint>.vae.*`): sha256[0:10] and its file name. */
  vaeHash?: string;
  vaeName?: string;
  /** The sampler uses ENSD (ancestral / eta ≠ 0): A1111 writes ENSD only then. */
  samplerUsesEnsd: boolean;
  /** Inpainting-conditioning (9-channel) models: A1111's "Conditional mask weight". */
  conditionalMaskWeight?: number;
  /** `extra_generation_params` in insertion order (inpaint: Mask mode, Mask blur, Inpaint area, …); before Version. */
  extra?: Array<[string, InfotextValue]>;
  /** From the conditioning stage: "TI hashes" and whether cond/uncond were padded ("Pad conds"). */
  textConditioning?: { tiHashes?: string; padConds?: boolean };
  /** A1111 "Lora hashes" (`name: 12hex, …`), added by the Lora extension when it activates: after the extras. */
  loraHashes?: string;
  /** Entries after all others, before "Version" (a script's grid keys: "Script", "X Type", "X Values", …). */
  trailing?: Array<[string, InfotextValue]>;
  /** The hires fix's entries ("Hires upscale", "Hires steps", …) in A1111's insertion order, after the extras. */
  hires?: Array<[string, InfotextValue]>;
  /** "Refiner", "Refiner switch at" (…): added by apply_refiner when the switch happened, mid-sampling. */
  refiner?: Record<string, string>;
  /** The token merging ratio the UNet ran with (absent or 0: none), and the hires pass's. */
  tokenMergingRatio?: number | undefined;
  tokenMergingRatioHr?: number | undefined;
  /** Keys A1111 adds while sampling and decoding (NGMS, VAE Decoder): after the conditioning's keys. */
  sampling?: Array<[string, InfotextValue]>;
}

/** A1111's `create_infotext` key order (`modules/processing.py`) for what this pipeline does. */
export function img2imgInfotext(p: ResolvedImg2Img, f: ImageFacts): string {
  const params: Array<[string, InfotextValue]> = [
    ['Steps', p.steps],
    ['Sampler', f.samplerName],
    ['Schedule type', f.scheduleLabel],
    ['CFG scale', p.cfgScale],
    ['Seed', String(f.seed)],
    ['Face restoration', p.restoreFaces ? (p.restoreFaces.model === 'gfpgan' ? 'GFPGAN' : 'CodeFormer') : undefined],
    ['Size', `${p.width}x${p.height}`],
    ['Model hash', f.modelHash],
    ['Model', f.modelName],
    ['VAE hash', f.vaeHash],
    ['VAE', f.vaeName],
    ['Variation seed', p.subseedStrength !== 0 ? String(f.subseed) : undefined],
    ['Variation seed strength', p.subseedStrength !== 0 ? p.subseedStrength : undefined],
    ['Seed resize from', p.seedResizeFromW > 0 && p.seedResizeFromH > 0 ? `${p.seedResizeFromW}x${p.seedResizeFromH}` : undefined],
    // txt2img writes it only with the hires fix (its second pass's strength).
    ['Denoising strength', p.denoisingStrength ?? p.hires?.denoisingStrength],
    ['Conditional mask weight', f.conditionalMaskWeight],
    ['Clip skip', p.clipSkip > 1 ? p.clipSkip : undefined],
    ['ENSD', p.ensd !== 0 && f.samplerUsesEnsd ? p.ensd : undefined],
    ['Token merging ratio', f.tokenMergingRatio ? f.tokenMergingRatio : undefined],
    ['Token merging ratio hr', f.tokenMergingRatioHr ? f.tokenMergingRatioHr : undefined],
    ['RNG', p.randnSource !== 'GPU' ? p.randnSource : undefined],
    ...(f.extra ?? []),
    ...(f.hires ?? []),
    ['Lora hashes', f.loraHashes],
    ['TI hashes', f.textConditioning?.tiHashes],
    ['Pad conds', f.textConditioning?.padConds ? true : undefined],
    ...Object.entries(f.refiner ?? {}),
    ...(f.sampling ?? []),
    ...(f.trailing ?? []),
    ['Version', SD_STUDIO_VERSION],
  ];
  return buildInfotext(p.prompt, p.negativePrompt, params);
}

/**
 * The aesthetic extension's extra_generation_params (set_aesthetic_params), in its order and with its Python
 * values: LR and weight are float()s, steps an int, the flags True/False, the text as typed (empty included).
 */
export function aestheticInfotext(a: ResolvedAesthetic, name: string): Array<[string, InfotextValue]> {
  return [
    ['Aesthetic LR', pyFloatStr(a.lr)],
    ['Aesthetic weight', pyFloatStr(a.weight)],
    ['Aesthetic steps', a.steps],
    ['Aesthetic embedding', name],
    ['Aesthetic slerp', a.slerp],
    ['Aesthetic text', a.text],
    ['Aesthetic text negative', a.textNegative],
    ['Aesthetic slerp angle', pyFloatStr(a.slerpAngle)],
  ];
}

/**
 * Extra keys A1111 adds during and after sampling, in its order: NGMS (CFGDenoiser.forward, once the uncond pass was
 * skipped), then "VAE Decoder" (process_images_inner, before decoding).
 */
export function afterSamplingExtra(p: ResolvedImg2Img, ngmsSkipped: boolean): Array<[string, InfotextValue]> {
  const out: Array<[string, InfotextValue]> = [];
  if (ngmsSkipped) {
    out.push(['NGMS', p.sMinUncond]);
    if (p.sMinUncondAll) out.push(['NGMS all steps', true]);
  }
  if (p.vaeDecode !== 'Full') out.push(['VAE Decoder', p.vaeDecode]);
  return out;
}
