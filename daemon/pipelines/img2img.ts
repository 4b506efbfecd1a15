import { throwIfAborted } from '../errors';
import type { JobContext } from '../jobs';
import type { ModelManager } from '../parts/sdModel';
import type { EmbeddingDatabases } from '../modelFiles/embeddings';
import type { DaemonSettings, GeneratedImage, GenerationResult, Img2ImgParams } from '../protocol';
import { createImageNoise, discreteSchedule, resolveSampler, samplerInfo, samplers, type RngSource } from '../sampling';
import { planSigmas } from '../stages/planSigmas';
import { finishLatents, startLatents } from '../stages/startLatents';
import { denoise } from '../stages/denoise';
import { writeImage } from '../output/writeImage';
import { decodeLatents } from '../stages/decode';
import { encodeJobConditioning } from '../stages/encodePrompt';
import { img2imgInfotext } from '../output/infotext';
import { encodeInitImages } from '../stages/initLatents';
import { livePreviewFor } from '../stages/preview';
import type { TaesdDecoders } from '../parts/taesd';
import { resolvePromptLoras } from '../modelFiles/loras';
import { resolveSdVae, vaeInfotext } from '../modelFiles/sdVae';
import { resolveImg2Img } from '../validate';
import { scaleInitialNoise } from '../stages/maskedContent';
import { plainImg2ImgExtra, prepareImageStages } from '../stages/inpaint';
import { invalidParam } from '../errors';

export interface PipelineDeps {
  models: ModelManager;
  /** TAESD live previews (setting previewMethod). */
  taesd: TaesdDecoders;
  /** Textual-inversion embeddings by models root. */
  embeddings: EmbeddingDatabases;
  settings: DaemonSettings;
  /** Short A1111 model hash (10 hex) of the model, if known. */
  modelHash?: (dir: string) => Promise<string | undefined>;
}

/**
 * img2img as A1111 runs it (reference §1); with no init image the same stages run txt2img. Stages: check
 * params → load model → encode prompts → encode init images → per batch: noise, denoise, decode, save.
 */
export async function runImg2Img(raw: Img2ImgParams, job: JobContext, deps: PipelineDeps): Promise<GenerationResult> {
  const p = resolveImg2Img(raw, deps.settings);
  let choice;
  try {
    choice = resolveSampler(p.samplerName, p.scheduler);
  } catch (e) {
    throw invalidParam('sampler_name', (e as Error).message);
  }
  const sampler = samplers[choice.sampler];
  if (!sampler) throw invalidParam('sampler_name', `"${choice.sampler}" is not available yet`);
  const loras = await resolvePromptLoras(p.prompt, deps.settings.modelsRoot);
  const vae = resolveSdVae(deps.settings.sdVae, deps.settings.modelsRoot, p.model);
  const model = await deps.models.get(p.model, { loras: loras.apply, ...(vae !== undefined ? { vae } : {}) });
  const vaeInfo = await vaeInfotext(vae);
  const preview = await livePreviewFor(deps.settings, deps.taesd);
  throwIfAborted(job.signal);

  const schedule = discreteSchedule(model.layout.scheduler);
  const plan = planSigmas(choice, schedule, p.steps, p.denoisingStrength, p.fixSteps);
  const { sigmas, stepsRun } = plan;

  const conds = await encodeJobConditioning({
    model, prompt: p.prompt, negativePrompt: p.negativePrompt, totalSteps: samplerInfo(choice.sampler).secondOrder ? 2 * p.steps : p.steps,
    clipSkip: p.clipSkip, padCondUncond: p.padCondUncond, embeddings: deps.embeddings.forRoot(deps.settings.modelsRoot), signal: job.signal,
  });
  const h = Math.floor(p.height / 8);
  const w = Math.floor(p.width / 8);
  const rngSource = p.randnSource.toLowerCase() as RngSource;
  // Inpainting (a mask) and 9-channel models run their own init, conditioning, blend and composite stages.
  const stages = await prepareImageStages(p, model, choice.kind, h, w, rngSource);
  const inits = p.isImg2Img && !stages ? await encodeInitImages(model, p.initImages, p.resizeMode, p.width, p.height, p.seed, rngSource, job.signal) : [];
  throwIfAborted(job.signal);
  const modelHash = await deps.modelHash?.(model.layout.dir);

  const images: GeneratedImage[] = [];
  const saveTarget = { root: p.outdir, tab: p.isImg2Img ? 'img2img-images' : 'txt2img-images', directoryPattern: deps.settings.directoryPattern, filenamePattern: deps.settings.filenamePattern } as const;
  const per = 4 * h * w;
  for (let iter = 0; iter < p.nIter; iter++) {
    if (job.interrupted) break; // A1111's Interrupt: keep what is done, start no further batch
    const first = iter * p.batchSize;
    const seeds = Array.from({ length: p.batchSize }, (_, i) => (p.subseedStrength === 0 ? p.seed + first + i : p.seed));
    const subseeds = Array.from({ length: p.batchSize }, (_, i) => p.subseed + first + i);
    const noise = createImageNoise({
      source: rngSource, seeds, subseeds, subseedStrength: p.subseedStrength,
      seedResizeFromH: p.seedResizeFromH, seedResizeFromW: p.seedResizeFromW, shape: [4, h, w], ensd: p.ensd,
    });
    const batchInits = stages ? stages.batchInits(first, p.batchSize) : Array.from({ length: p.batchSize }, (_, i) => (inits.length ? inits[(first + i) % inits.length]!.latent : undefined));
    const x = startLatents(scaleInitialNoise(noise.first(), p.isImg2Img ? p.initialNoiseMultiplier : 1), per, batchInits, sigmas[0]!, choice.kind, plan.alphaEnc);
    const batchSignal = job.beginBatch();
    let latest: Float32Array | undefined;
    const sampled = await denoise({
      model, schedule, kind: choice.kind, conditioning: conds.forRun(), cfgScale: p.cfgScale, x, n: p.batchSize, h, w, sigmas, sampler,
      noise: () => noise.next(), signal: batchSignal,
      ...stages?.denoiseHooks(first, p.batchSize),
      onStep: (i, denoised) => {
        latest = denoised;
        job.progress(i + 1, stepsRun, iter, p.nIter);
        if (job.wantsPreview(i + 1, stepsRun)) preview.send(job, first, i + 1, denoised.subarray(0, per), h, w);
      },
    }).catch((e: unknown) => {
      // Skip (not cancel): keep the batch's latest prediction of the clean latent, as A1111 keeps what it has.
      if (job.signal.aborted || !batchSignal.aborted) throw e;
      return undefined;
    });
    await preview.flush();
    throwIfAborted(job.signal);
    if (!sampled && !latest) continue; // skipped before its first step: nothing to show
    const result = sampled ? finishLatents(sampled, sigmas[sigmas.length - 1]!, choice.kind) : latest!.slice();
    stages?.afterSampling(result, first, p.batchSize);
    const raw = await decodeLatents(model, result, p.batchSize, h, w);
    const decoded = stages ? await stages.finish(raw, result, first) : raw;
    for (let i = 0; i < decoded.length; i++) {
      throwIfAborted(job.signal);
      const infotext = img2imgInfotext(p, {
        seed: seeds[i]!, subseed: subseeds[i]!, samplerName: choice.sampler, scheduleLabel: choice.scheduler, modelHash, modelName: model.layout.name,
        textConditioning: { tiHashes: conds.tiHashes, padConds: conds.padded }, loraHashes: loras.hashes, ...vaeInfo,
        samplerUsesEnsd: choice.usesEnsd, ...(stages?.infotext ?? { extra: plainImg2ImgExtra(p) }),
      });
      const image = await writeImage(decoded[i]!, seeds[i]!, infotext, {
        seed: seeds[i]!, steps: p.steps, cfg: p.cfgScale, sampler: choice.sampler, scheduler: choice.scheduler,
        modelHash, modelName: model.layout.name, prompt: p.prompt, negativePrompt: p.negativePrompt,
        denoising: p.denoisingStrength, batchNumber: i, batchSize: p.batchSize, generationNumber: first + i + 1, date: new Date(),
      }, { target: p.saveImages ? saveTarget : undefined, send: p.sendImages });
      images.push(image);
    }
  }
  return {
    jobId: job.id,
    images,
    parameters: { ...raw, seed: p.seed, subseed: p.subseed, steps: p.steps, sampler_name: choice.sampler, scheduler: choice.scheduler, width: p.width, height: p.height },
  };
}
