// Classifier-free guidance over the per-conditioning predictions of one model call, and when the uncond pass can
// be left out (modules/sd_samplers_cfg_denoiser.py: CFGDenoiser.forward, combine_denoised):
//  - CFG scale 1 with AND weights summing to 1: uncond + Σ wᵢ·(condᵢ − uncond) = Σ wᵢ·condᵢ does not depend on
//    uncond at all, so it is never run (Forge's CFG-1 shortcut); with one prompt the result is exactly cond.
//  - "Negative Guidance minimum sigma" (s_min_uncond, infotext "NGMS"): once the noise level is below it, every
//    other model call (every call with "NGMS all steps") runs without uncond, and A1111 combines with the first
//    cond standing in for uncond and CFG scale 1.

export type UncondSkip = 'cfg1' | 'ngms';

export interface GuidanceOptions {
  cfgScale: number;
  /** AND weights of the conds, in order. */
  weights: readonly number[];
  /** A1111 s_min_uncond; 0 = off. */
  sMinUncond: number;
  /** A1111 s_min_uncond_all ("NGMS all steps"). */
  sMinUncondAll: boolean;
  /** The sampler reads the uncond prediction itself (CFG++): CFG 1 does not leave it out. */
  uncondNeeded?: boolean;
}

/**
 * Whether model call number `call` (0-based, counted per sampling run like A1111's `CFGDenoiser.step`) skips the
 * uncond pass. `level` is what A1111 compares with s_min_uncond: σ for k-diffusion samplers, the timestep for the
 * timestep samplers (DDIM, PLMS, UniPC, whose denoiser receives t in place of σ).
 */
export function uncondSkip(o: GuidanceOptions, call: number, level: number): UncondSkip | undefined {
  let sum = 0;
  for (const w of o.weights) sum += w;
  if (o.cfgScale === 1 && sum === 1 && !o.uncondNeeded) return 'cfg1';
  if ((call % 2 === 1 || o.sMinUncondAll) && o.sMinUncond > 0 && level < o.sMinUncond) return 'ngms';
  return undefined;
}

/**
 * Combined prediction for one image into `out` (length `per`). `pred` holds k = weights.length + 1 predictions of
 * `per` values: entry 0 uncond (ignored when skipped), entry j + 1 cond j.
 */
export function combineGuidance(pred: Float32Array, per: number, o: GuidanceOptions, skip: UncondSkip | undefined, out: Float32Array): void {
  const w = o.weights;
  if (skip === 'cfg1') {
    for (let q = 0; q < per; q++) {
      let v = w[0]! * pred[per + q]!;
      for (let j = 1; j < w.length; j++) v += w[j]! * pred[(j + 1) * per + q]!;
      out[q] = v;
    }
    return;
  }
  // NGMS: the first cond stands in for uncond, at CFG scale 1.
  const base = skip === 'ngms' ? per : 0;
  const scale = skip === 'ngms' ? 1 : o.cfgScale;
  for (let q = 0; q < per; q++) {
    const u = pred[base + q]!;
    let v = u;
    for (let j = 0; j < w.length; j++) v += w[j]! * scale * (pred[(j + 1) * per + q]! - u);
    out[q] = v;
  }
}
