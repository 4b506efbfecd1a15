// The hires fix's second pass (`StableDiffusionProcessingTxt2Img.sample_hr_pass`), composed from the same stages
// as img2img: upscale the first pass (latent mode or image upscaler), switch to the hires checkpoint if one is
// named, encode the hires prompts with schedules counted over both passes, noise from the same seeds at the new
// size, an img2img denoise at the hires denoising strength, decode.
import { throwIfAborted, invalidParam } from '../errors';
import { resizeWithUpscaler } from '../extras/upscale';
import { upscalerStep } from '../extras/upscalerStep';
import { findUpscaler } from '../extras/upscalerRegistry';
import type { RgbImage } from '../image/rgbImage';
import { checkpointTitle, resolveCheckpointName } from '../modelFiles/checkpointName';
import type { SdModel } from '../parts/sdModel';
import { createImageNoise, createRng, discreteSchedule, resolveSampler, samplerInfo, samplers, type DiscreteSchedule, type ResolvedSampler, type RngSource } from '../sampling';
import { decodeLatents } from '../stages/decode';
import { denoise } from '../stages/denoise';
import { encodeSdxlAwareConditioning, type JobConditioning } from '../stages/encodePrompt';
import type { ChunkAesthetic } from '../stages/conditioning/textConditioner';
import type { UncondSkip } from '../sampling/guidance';
import { hiresTarget, upscaleImages, upscaleLatents, type HiresLatents } from '../stages/hiresUpscale';
import { INPAINT_EXTRA_CHANNELS, inpaintConditioning, isInpaintingModel } from '../stages/inpaintConditioning';
import { planSigmas } from '../stages/planSigmas';
import { finishLatents, startLatents } from '../stages/startLatents';
import { LATENT_UPSCALE_MODES, type ResolvedImg2Img } from '../validate';
import type { PipelineDeps } from './img2img';
import { jobSpeed, modelFor, type InfoEntries } from './modelFor';

/** One batch of first-pass results going through the second pass. */
export interface HiresBatch {
  /** First-pass latents as the VAE takes them, n × 4 × h × w. */
  latents: Float32Array;
  n: number;
  h: number;
  w: number;
  seeds: bigint[];
  subseeds: bigint[];
  /** The first pass's model (decodes its images for an image upscaler). */
  firstModel: SdModel;
  /** The batch's signal (cancel or Skip). */
  signal: AbortSignal;
  /** "Save a copy of image before applying highres fix": the first pass's images, decoded. */
  beforeUpscale?: (images: RgbImage[]) => Promise<void>;
  /** Told when a model call ran without the uncond pass (NGMS in the infotext). */
  onUncondSkipped?: (why: UncondSkip) => void;
  onStep(i: number, denoised: Float32Array, h: number, w: number): void;
}

export interface HiresPass {
  /** Sampler steps the second pass runs (progress counts both passes). */
  readonly stepsRun: number;
  /** The second pass's images, or undefined when it was skipped before its first step. */
  run(b: HiresBatch): Promise<RgbImage[] | undefined>;
  /** A1111's hires infotext entries in its insertion order (after a run: "Hires checkpoint" needs the hash). */
  infotext(prompt: string, negativePrompt: string): InfoEntries;
  /** The token merging ratio the pass ran at (infotext "Token merging ratio hr"); undefined when its UNet cannot merge. */
  tokenMergingRatio(): number | undefined;
}

const totalStepsOf = (choice: ResolvedSampler, steps: number): number => (samplerInfo(choice.sampler).secondOrder ? 2 * steps : steps);

/** Checks the hires settings and plans the pass; `schedule` is the first model's (for the step count). */
export function prepareHires(p: ResolvedImg2Img, first: ResolvedSampler, schedule: DiscreteSchedule, deps: PipelineDeps, aesthetic?: ChunkAesthetic): HiresPass {
  const h = p.hires!;
  let choice: ResolvedSampler;
  try {
    choice = resolveSampler(h.samplerName ?? p.samplerName, h.scheduler ?? p.scheduler);
  } catch (e) {
    throw invalidParam(h.samplerName ? 'hr_sampler_name' : 'hr_scheduler', (e as Error).message);
  }
  const sampler = samplers[choice.sampler];
  if (!sampler) throw invalidParam('hr_sampler_name', `"${choice.sampler}" is not available yet`);
  const root = deps.settings.modelsRoot;
  const latentMode = LATENT_UPSCALE_MODES[h.upscaler ?? 'Latent'];
  const upscaler = latentMode ? undefined : findUpscaler(h.upscaler!, root);
  if (!latentMode && !upscaler) throw invalidParam('hr_upscaler', `unknown upscaler "${h.upscaler}"`, `a latent mode (${Object.keys(LATENT_UPSCALE_MODES).join(', ')}) or a name from sd/upscalers.list`);
  const modelPath = h.checkpoint ? resolveCheckpointName(h.checkpoint, root, 'hr_checkpoint_name') : p.model;
  const steps = h.steps || p.steps;
  const prompt = h.prompt || p.prompt;
  const negativePrompt = h.negativePrompt || p.negativePrompt;
  const target = hiresTarget(p.width, p.height, h);
  const stepsRun = planSigmas(choice, schedule, steps, h.denoisingStrength, p.fixSteps).stepsRun;
  const rngSource = p.randnSource.toLowerCase() as RngSource;
  let conds: JobConditioning | undefined;
  let title: string | undefined;
  let tome: number | undefined = (h.tokenMergingRatio > 0 ? h.tokenMergingRatio : undefined);

  const upscale = async (b: HiresBatch, decoded: RgbImage[], model: SdModel): Promise<HiresLatents & { upscaled?: RgbImage[] }> => {
    if (latentMode) return upscaleLatents(b.latents, b.n, b.h, b.w, target, latentMode);
    const step = upscalerStep(upscaler!, { upscalers: deps.upscalers, tileSize: deps.settings.upscalerTileSize, tileOverlap: deps.settings.upscalerTileOverlap, signal: b.signal });
    return upscaleImages(model, decoded, target, (img, w, hh) => resizeWithUpscaler(img, w, hh, step, () => b.signal.aborted), createRng(rngSource, b.seeds[0]!), b.signal);
  };

  return {
    stepsRun,
    async run(b) {
      throwIfAborted(b.signal);
      // The first pass's images are decoded by its own model; then the checkpoint switch, as in A1111 (the image
      // upscaler's result is encoded by the hires model's VAE).
      const decoded = !latentMode || b.beforeUpscale ? await decodeLatents(b.firstModel, b.latents, b.n, b.h, b.w) : [];
      await b.beforeUpscale?.(decoded);
      const loaded = await modelFor(deps, modelPath, prompt, p.sdVae, jobSpeed(p, target.width, target.height));
      const model = loaded.model;
      tome = loaded.tokenMerging ? h.tokenMergingRatio : undefined;
      if (h.checkpoint && title === undefined) title = checkpointTitle(model.layout.name, await deps.modelHash?.(model.layout.dir));
      const up = await upscale(b, decoded, model);
      throwIfAborted(b.signal);
      // SDXL: the hires conditioning's size is the upscaled one (A1111 calculate_hr_conds: hr_upscale_to_x/y).
      conds ??= await encodeSdxlAwareConditioning(model, {
        prompt, negativePrompt, totalSteps: totalStepsOf(first, p.steps), hiresTotalSteps: totalStepsOf(choice, steps),
        clipSkip: p.clipSkip, padCondUncond: p.padCondUncond, embeddings: deps.embeddings.forRoot(root), signal: b.signal,
        ...(aesthetic ? { aesthetic } : {}),
        sdxl: { width: target.width, height: target.height, ...p.sdxl },
      });
      const plan = planSigmas(choice, discreteSchedule(model.layout.scheduler), steps, h.denoisingStrength, p.fixSteps);
      const per = 4 * up.h * up.w;
      const noise = createImageNoise({
        source: rngSource, seeds: b.seeds, subseeds: b.subseeds, subseedStrength: p.subseedStrength,
        seedResizeFromH: p.seedResizeFromH, seedResizeFromW: p.seedResizeFromW, shape: [4, up.h, up.w], ensd: p.ensd,
      });
      const inits = Array.from({ length: b.n }, (_, i) => up.latents.subarray(i * per, (i + 1) * per));
      const x = startLatents(noise.first(), per, inits, plan.sigmas[0]!, choice.kind, plan.alphaEnc);
      const imageConditioning = isInpaintingModel(model) ? await nineChannel(model, up, b.n, p, createRng(rngSource, b.seeds[0]! + 1n)) : undefined;
      let latest: Float32Array | undefined;
      const sampled = await denoise({
        model, schedule: discreteSchedule(model.layout.scheduler), kind: choice.kind, conditioning: conds.forRun(), cfgScale: h.cfgScale ?? p.cfgScale,
        x, n: b.n, h: up.h, w: up.w, sigmas: plan.sigmas, sampler, noise: () => noise.next(), signal: b.signal,
        cfgScaleMultiplier: choice.cfgScaleMultiplier, sMinUncond: p.sMinUncond, sMinUncondAll: p.sMinUncondAll, tokenMergingRatio: tome,
        ...(b.onUncondSkipped ? { onUncondSkipped: b.onUncondSkipped } : {}),
        ...(imageConditioning ? { imageConditioning } : {}),
        onStep: (i, denoised) => {
          latest = denoised;
          b.onStep(i, denoised, up.h, up.w);
        },
      }).catch((e: unknown) => {
        if (!b.signal.aborted) throw e;
        return undefined; // Skip: the caller decides between cancel and keeping the latest prediction
      });
      if (!sampled && !latest) return undefined;
      const result = sampled ? finishLatents(sampled, plan.sigmas[plan.sigmas.length - 1]!, choice.kind) : latest!.slice();
      return decodeLatents(model, result, b.n, up.h, up.w);
    },
    tokenMergingRatio: () => tome,
    infotext(mainPrompt, mainNegative) {
      const out: InfoEntries = [];
      if (title !== undefined) out.push(['Hires checkpoint', title]);
      if (h.samplerName !== undefined && h.samplerName !== p.samplerName) out.push(['Hires sampler', h.samplerName]);
      if (prompt !== mainPrompt) out.push(['Hires prompt', prompt]);
      if (negativePrompt !== mainNegative) out.push(['Hires negative prompt', negativePrompt]);
      out.push(['Hires CFG Scale', h.cfgScale ?? p.cfgScale]);
      // sd_samplers_kdiffusion.get_sigmas: a hires schedule with its own function, unlike the first pass's.
      if (choice.scheduler !== 'Automatic' && choice.scheduler !== first.scheduler) out.push(['Hires schedule type', choice.scheduler]);
      out.push(target.info);
      if (h.steps > 0) out.push(['Hires steps', h.steps]);
      if (h.upscaler !== undefined) out.push(['Hires upscaler', h.upscaler]);
      return out;
    },
  };
}

/** 9-channel models: txt2img's conditioning for latent modes, img2img's (mask all ones) for upscaled images. */
async function nineChannel(model: SdModel, up: HiresLatents & { upscaled?: RgbImage[] }, n: number, p: ResolvedImg2Img, rng: ReturnType<typeof createRng>): Promise<{ data: Float32Array; channels: number }> {
  const size = INPAINT_EXTRA_CHANNELS * up.h * up.w;
  const data = new Float32Array(n * size);
  for (let i = 0; i < n; i++) data.set(await inpaintConditioning(model, up.upscaled?.[i], undefined, p.inpaint.maskWeight, true, up.h, up.w, rng), i * size);
  return { data, channels: INPAINT_EXTRA_CHANNELS };
}
