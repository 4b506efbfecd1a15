import { throwIfAborted } from '../errors';
import type { SdModel } from '../parts/sdModel';
import { denoisedFrom, lcmModel, makeDenoiser, makeLcmDenoiser, type DiscreteSchedule, type Sampler, type SamplerKind } from '../sampling';
import { combineGuidance, uncondSkip, type GuidanceOptions, type UncondSkip } from '../sampling/guidance';
import type { Conditioning } from './encodePrompt';
import type { AddedConditioning } from '../parts/unet';

/** The text conditioning in force at one sampler step: AND parts with weights, and the negative prompt. */
export interface StepConditioning {
  conds: Array<{ cond: Conditioning; weight: number }>;
  uncond: Conditioning;
}

export interface DenoiseRequest {
  model: SdModel;
  schedule: DiscreteSchedule;
  /** LCM samples with its own denoiser (A1111 LCMCompVisDenoiser); the others with k-diffusion's CompVis one. */
  kind: SamplerKind;
  /** Conditioning for sampler step `step` (0-based): prompt editing switches text mid-run. */
  conditioning: (step: number) => StepConditioning;
  cfgScale: number;
  /** Factor on cfgScale inside the combine (A1111 `cond_scale_miltiplier`: 1/12.5 for CFG++ samplers); default 1. */
  cfgScaleMultiplier?: number;
  /** A1111 s_min_uncond ("Negative Guidance minimum sigma", infotext NGMS); 0 = off. */
  sMinUncond?: number;
  /** A1111 s_min_uncond_all ("NGMS all steps"). */
  sMinUncondAll?: boolean;
  /** Token merging ratio for UNet graphs built with token merging. */
  tokenMergingRatio?: number;
  /** Told once per model call that ran without the uncond pass, and why (the pipeline writes NGMS to the infotext). */
  onUncondSkipped?: (why: UncondSkip) => void;
  /** Batch of latents, n × 4 × h × w, already noised to sigmas[0]. */
  x: Float32Array;
  n: number;
  h: number;
  w: number;
  sigmas: Float64Array;
  sampler: Sampler;
  /**
   * Extra UNet input channels per image (9-channel inpainting models: mask 1 + masked-image latent 4),
   * n × extraChannels × h × w, appended after the scaled latent on every call.
   */
  imageConditioning?: { data: Float32Array; channels: number };
  /** Applied in place to each model call's CFG-combined prediction of x₀ (inpainting's latent mask blend). */
  blendDenoised?: (denoised: Float32Array, sigma: number) => void;
  /** Applied to a copy of x that the model sees (timestep samplers' latent mask blend, A1111 `mask_before_denoising`). */
  blendInput?: (x: Float32Array, sigma: number) => void;
  /** Next N(0,1) tensor of x's size from the per-image generators (ancestral/SDE samplers). */
  noise: () => Float32Array;
  /**
   * A1111's refiner: asked before every model call (`call` counts them from 0); once it returns a model, the rest
   * of the run uses that model and conditioning (looked up by the same call count). A 4-channel refiner after a
   * 9-channel inpainting base gets no image conditioning (A1111 concatenates it only for 9-channel UNets).
   */
  switchModel?: (sigma: number, call: number) => Promise<{ model: SdModel; conditioning: (call: number) => StepConditioning } | undefined>;
  signal: AbortSignal;
  onStep: (i: number, denoised: Float32Array) => void;
}

/** SDXL: the pooled texts and size numbers of a UNet batch, in batch order; undefined for SD 1.x/2.x. */
function addedConditioning(conds: readonly Conditioning[]): AddedConditioning | undefined {
  const first = conds[0]!;
  if (!first.pooled || !first.timeIds) return undefined;
  const textEmbeds = new Float32Array(conds.length * first.pooled.length);
  const timeIds = new Float32Array(conds.length * first.timeIds.length);
  conds.forEach((c, m) => {
    textEmbeds.set(c.pooled!, m * first.pooled!.length);
    timeIds.set(c.timeIds!, m * first.timeIds!.length);
  });
  return { textEmbeds, timeIds };
}

/**
 * The CFG denoiser over the UNet (A1111 `CFGDenoiser` + `combine_denoised`): per image one UNet call with batch
 * [uncond, cond₁ … condₖ] (or one call each for batch-1 exports); when their token counts differ, one call per
 * token count (uncond alone, conds of one length together), one prediction per conditioning either way. Combined
 * as uncond + Σ wᵢ·cfg·(condᵢ − uncond) — linear, so the same on ε or on x₀ — and the uncond pass is left out
 * where it changes nothing or little (CFG 1, NGMS: sampling/guidance.ts). Each image runs on its own so image k
 * of a batch equals a single run with its seed.
 */
export async function denoise(req: DenoiseRequest): Promise<Float32Array> {
  const { n, h, w, signal } = req;
  const cfgScale = req.cfgScale * (req.cfgScaleMultiplier ?? 1);
  const c = 4;
  const per = c * h * w;
  let step = 0;
  let evaluations = 0;
  let active: { model: SdModel; conditioning: (call: number) => StepConditioning } | undefined;
  // The unconditional network output of the last model call and where it was made (CFG++ samplers read it).
  let lastUncond: Float32Array | undefined;
  let lastCall: { x: Float32Array; xin: Float32Array; sigma: number } | undefined;

  const modelFn = async (xScaled: Float32Array, t: number, sigma: number): Promise<Float32Array> => {
    const model = active?.model ?? req.model;
    const { conds, uncond } = active ? active.conditioning(evaluations) : req.conditioning(step);
    const guidance: GuidanceOptions = {
      cfgScale, weights: conds.map((e) => e.weight), sMinUncond: req.sMinUncond ?? 0, sMinUncondAll: req.sMinUncondAll ?? false,
      // CFG++ samplers step along the uncond prediction: it is needed even where CFG 1 would not need it.
      uncondNeeded: (req.cfgScaleMultiplier ?? 1) !== 1,
    };
    const skip = uncondSkip(guidance, evaluations, req.kind === 'timesteps' ? t : sigma);
    if (skip) req.onUncondSkipped?.(skip);
    evaluations++;
    const extra = req.imageConditioning && model.unet.inChannels !== 4 ? req.imageConditioning.channels : 0;
    const perIn = (c + extra) * h * w;
    const k = conds.length + 1;
    const all = [uncond, ...conds.map((e) => e.cond)];
    for (const cd of all) if (cd.dim !== uncond.dim) throw new Error(`cond and uncond conditionings must have the same width (${cd.dim} vs ${uncond.dim})`);
    // One UNet call per token count (A1111: one batch when all lengths match; otherwise, with "Pad
    // prompt/negative prompt" off, uncond and conds run separately). Entry 0 is uncond, j + 1 cond j.
    const byTokens = new Map<number, number[]>();
    all.forEach((cd, j) => {
      if (j === 0 && skip) return;
      byTokens.set(cd.tokens, [...(byTokens.get(cd.tokens) ?? []), j]);
    });
    const calls = [...byTokens].map(([tokens, members]) => {
      const ctxLen = tokens * uncond.dim;
      const ctx = new Float32Array(members.length * ctxLen);
      members.forEach((j, m) => ctx.set(all[j]!.hidden, m * ctxLen));
      return { tokens, members, ctx, batch: new Float32Array(members.length * perIn), added: addedConditioning(members.map((j) => all[j]!)) };
    });
    const pred = new Float32Array(k * per);
    const out = new Float32Array(xScaled.length);
    lastUncond = new Float32Array(xScaled.length);
    for (let i = 0; i < n; i++) {
      throwIfAborted(signal);
      const xi = xScaled.subarray(i * per, (i + 1) * per);
      const ci = extra ? req.imageConditioning!.data.subarray(i * extra * h * w, (i + 1) * extra * h * w) : undefined;
      for (const { tokens, members, ctx, batch, added } of calls) {
        for (let m = 0; m < members.length; m++) {
          batch.set(xi, m * perIn);
          if (ci) batch.set(ci, m * perIn + per);
        }
        const p = await model.unet.predict(batch, members.length, c + extra, h, w, t, ctx, tokens, uncond.dim, added, { tokenMergingRatio: req.tokenMergingRatio });
        members.forEach((j, m) => pred.set(p.subarray(m * per, (m + 1) * per), j * per));
      }
      // With the uncond pass left out, A1111 puts the first cond's prediction where uncond's would be (fake_uncond).
      lastUncond.set(pred.subarray(skip ? per : 0, skip ? 2 * per : per), i * per);
      combineGuidance(pred, per, guidance, skip, out.subarray(i * per, (i + 1) * per));
    }
    return out;
  };

  const plain = (model: SdModel) => req.kind === 'lcm'
    ? makeLcmDenoiser(lcmModel(req.schedule).sigmas, modelFn)
    : makeDenoiser(req.schedule, model.layout.scheduler.prediction_type, modelFn);
  let base = plain(req.model);
  const inner = req.switchModel
    ? async (x: Float32Array, sigma: number): Promise<Float32Array> => {
      const next = await req.switchModel!(sigma, evaluations);
      if (next) {
        active = next;
        base = plain(next.model);
      }
      return base(x, sigma);
    }
    : base;
  const denoiser = async (x: Float32Array, sigma: number): Promise<Float32Array> => {
    // The model sees the blended input; the sampler keeps its own x (same ε as A1111: d + x − x_in).
    const xin = req.blendInput ? x.slice() : x;
    req.blendInput?.(xin, sigma);
    const d = await inner(xin, sigma);
    lastCall = { x, xin, sigma };
    if (xin !== x) for (let k = 0; k < d.length; k++) d[k]! += x[k]! - xin[k]!;
    req.blendDenoised?.(d, sigma);
    return d;
  };
  // A1111 keeps the raw unconditional output (no mask blend); as x₀ relative to the sampler's own x.
  const uncondDenoised = (): Float32Array => {
    if (!lastUncond || !lastCall) throw new Error('uncondDenoised before the first model call');
    const { x, xin, sigma } = lastCall;
    const d = denoisedFrom((active?.model ?? req.model).layout.scheduler.prediction_type, xin, sigma, lastUncond);
    if (xin !== x) for (let k = 0; k < d.length; k++) d[k]! += x[k]! - xin[k]!;
    return d;
  };
  return req.sampler(denoiser, req.x, req.sigmas, {
    noise: () => req.noise(),
    ...(req.kind === 'lcm' ? {} : { uncondDenoised }),
    signal,
    onStep: (i, _sigma, denoised) => {
      step = i + 1;
      req.onStep(i, denoised);
    },
  });
}
