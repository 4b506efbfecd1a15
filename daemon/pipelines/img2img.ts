import { throwIfAborted } from '../errors';
import type { JobContext } from '../jobs';
import type { ModelManager } from '../parts/sdModel';
import type { EmbeddingDatabases } from '../modelFiles/embeddings';
import type { DaemonSettings, GeneratedImage, GenerationResult, Img2ImgParams } from '../protocol';
import { createImageNoise, discreteSchedule, resolveSampler, samplerInfo, samplers, type RngSource } from '../sampling';
import { planSigmas } from '../stages/planSigmas';
import { finishLatents, startLatents } from '../stages/startLatents';
import { denoise } from '../stages/denoise';
import { jobImages, type ImageNames } from '../output/jobImages';
import { applyJobStyles } from '../modelFiles/styles';
import type { FaceRestorer } from '../extras/faceRestore';
import { prepareImageFinish } from './imageFinish';
import { decodeLatents } from '../stages/decode';
import { encodeSdxlAwareConditioning } from '../stages/encodePrompt';
import { refinerSwitch, resolveRefiner } from '../stages/refiner';
import { aestheticInfotext, afterSamplingExtra, img2imgInfotext } from '../output/infotext';
import type { InterrogateModels } from '../parts/interrogateModels';
import { prepareAesthetic } from '../interrogate/aestheticEmbedding';
import { encodeInitImages } from '../stages/initLatents';
import { livePreviewFor } from '../stages/preview';
import type { TaesdDecoders } from '../parts/taesd';
import type { UpscalerModels } from '../parts/upscaler';
import { prepareHires } from './hires';
import { jobSpeed, modelFor, type InfoEntries } from './modelFor';
import { resolveImg2Img, withModelSizeDefaults } from '../validate';
import { scaleInitialNoise } from '../stages/maskedContent';
import { plainImg2ImgExtra, prepareImageStages } from '../stages/inpaint';
import { invalidParam } from '../errors';
import { checkWritableFolder } from '../../models/formats/outputChecks';
import type { RgbImage } from '../image/rgbImage';
import { imageSeeds, seedJson } from '../seed';

export interface PipelineDeps {
  models: ModelManager;
  /** TAESD live previews (setting previewMethod). */
  taesd: TaesdDecoders;
  /** Textual-inversion embeddings by models root. */
  embeddings: EmbeddingDatabases;
  /** Face restoration ("Restore faces"). */
  faces: FaceRestorer;
  /** Image upscalers (the hires fix's non-latent upscalers). */
  upscalers: UpscalerModels;
  /** The aesthetic-gradients extension's CLIP model (and the interrogators, which share its pool). */
  interrogate?: InterrogateModels;
  settings: DaemonSettings;
  /** Short A1111 model hash (10 hex) of the model (checkpoint file or ONNX folder), if known. */
  modelHash?: (model: string) => Promise<string | undefined>;
}

/**
 * img2img as A1111 runs it (`modules/img2img.py: img2img`, `StableDiffusionProcessingImg2Img`); with no init image the
 * same stages run txt2img. Stages: check params → load model → encode prompts → encode init images → per batch: noise,
 * denoise, decode, save.
 */
export async function runImg2Img(raw: Img2ImgParams, job: JobContext, deps: PipelineDeps): Promise<GenerationResult> {
  return (await runImg2ImgJob(raw, job, deps)).result;
}

/** A generation job as scripts see it: the result, the decoded outputs, and its infotext with a script's keys. */
export interface Img2ImgRun {
  result: GenerationResult;
  outputs: RgbImage[];
  /** The first image's infotext with `extra` entries at the end (A1111's grid infotext of a script). */
  infotextWith(extra: InfoEntries): string;
}

export async function runImg2ImgJob(raw: Img2ImgParams, job: JobContext, deps: PipelineDeps): Promise<Img2ImgRun> {
  const resolved = applyJobStyles(resolveImg2Img(raw, deps.settings), deps.settings.stylesFile, deps.settings.modelsRoot);
  if (resolved.saveImages) await checkWritableFolder(resolved.outdir); // before minutes of work, not after
  let choice;
  try {
    choice = resolveSampler(resolved.samplerName, resolved.scheduler);
  } catch (e) {
    throw invalidParam('sampler_name', (e as Error).message);
  }
  const sampler = samplers[choice.sampler];
  if (!sampler) throw invalidParam('sampler_name', `"${choice.sampler}" is not available yet`);
  // "Restore faces" without the model files fails now, not after the first image is generated.
  if (resolved.restoreFaces) deps.faces.ensureAvailable?.(resolved.restoreFaces.model, deps.settings.modelsRoot);
  const warn = (m: string): void => job.warn(m);
  const refinerFile = resolveRefiner(resolved.refiner, deps.settings.modelsRoot);
  const loaded = await modelFor(deps, resolved.model, resolved.prompt, resolved.sdVae, jobSpeed(resolved, resolved.width, resolved.height), warn);
  const { vaeInfo } = loaded;
  let model = loaded.model;
  const p = withModelSizeDefaults(resolved, model.kind !== 'sd');
  if (p.aesthetic && model.kind !== 'sd') throw invalidParam('aesthetic', "aesthetic embeddings need an SD 1.x model (the extension tunes CLIP ViT-L/14's text model), not SDXL");
  // The ratio the UNet runs at: none where the loaded graph cannot merge (an ONNX folder).
  const tokenMergingRatio = loaded.tokenMerging ? p.tokenMergingRatio : undefined;
  const preview = await livePreviewFor(deps.settings, deps.taesd, model.kind, warn);
  const embeddings = deps.embeddings.forRoot(deps.settings.modelsRoot);
  if (embeddings) {
    // Unreadable embedding files are left out of the prompt's vocabulary, named (A1111 skips them too).
    await embeddings.refresh();
    for (const bad of embeddings.problems) warn(`embedding file ${bad.path} skipped: ${bad.problem}`);
  }
  throwIfAborted(job.signal);

  const schedule = discreteSchedule(model.layout.scheduler);
  const plan = planSigmas(choice, schedule, p.steps, p.denoisingStrength, p.fixSteps);
  const { sigmas, stepsRun } = plan;
  // The aesthetic-gradients extension hooks every prompt encoding of the job (the hires pass's too).
  const aesthetic = p.aesthetic && deps.interrogate ? await prepareAesthetic(p.aesthetic, deps.settings.modelsRoot, deps.interrogate, (m) => job.report(0, 1, m)) : undefined;
  if (aesthetic) aesthetic.onStep = (s, n) => job.report(s, n, `aesthetic optimisation step ${s}/${n}`);
  const hires = p.hires ? prepareHires(p, choice, schedule, deps, aesthetic) : undefined;
  const totalRun = stepsRun + (hires?.stepsRun ?? 0);

  const condRequest = {
    prompt: p.prompt, negativePrompt: p.negativePrompt, totalSteps: samplerInfo(choice.sampler).secondOrder ? 2 * p.steps : p.steps,
    clipSkip: p.clipSkip, padCondUncond: p.padCondUncond, embeddings, signal: job.signal,
    ...(aesthetic ? { aesthetic } : {}),
    sdxl: { width: p.width, height: p.height, ...p.sdxl },
  };
  const conds = await encodeSdxlAwareConditioning(model, condRequest);
  const extraInfo = aesthetic && p.aesthetic ? aestheticInfotext(p.aesthetic, aesthetic.settings.name) : [];
  // With the hires fix the refiner takes over in the first pass (A1111's "Hires refiner: first pass").
  const refiner = refinerFile && refinerSwitch({
    ...refinerFile, sigmaTable: schedule.sigmas, totalSteps: stepsRun, hires: !!hires,
    load: async () => {
      const m = (await modelFor(deps, refinerFile.file, p.prompt, p.sdVae, jobSpeed(p, p.width, p.height))).model;
      return { model: m, conditioning: await encodeSdxlAwareConditioning(m, condRequest) };
    },
  });
  const h = Math.floor(p.height / 8);
  const w = Math.floor(p.width / 8);
  const rngSource = p.randnSource.toLowerCase() as RngSource;
  // Inpainting (a mask) and 9-channel models run their own init, conditioning, blend and composite stages.
  const stages = await prepareImageStages(p, model, choice.kind, h, w, rngSource);
  const inits = p.isImg2Img && !stages ? await encodeInitImages(model, p.initImages, p.resizeMode, p.width, p.height, p.seed, rngSource, job.signal) : [];
  throwIfAborted(job.signal);
  // The model as the user named it: a checkpoint file's own hash (A1111's), whatever LoRA/VAE variant was built.
  const modelHash = await deps.modelHash?.(p.model);
  // The first pass's model names the images even when a refiner took over (A1111's p.sd_model_name).
  const modelName = model.layout.name;

  const images: GeneratedImage[] = [];
  const outputs: RgbImage[] = [];
  const out = jobImages(p);
  const finish = await prepareImageFinish(p, out, deps.faces, deps.settings.modelsRoot, job.signal);
  const jobStart = new Date();
  const allSeeds = imageSeeds(p, 0, p.nIter * p.batchSize).seeds;
  const names = (seed: bigint, i: number, first: number): ImageNames => ({
    seed, steps: p.steps, cfg: p.cfgScale, sampler: choice.sampler, scheduler: choice.scheduler, modelHash, modelName,
    prompt: p.prompt, negativePrompt: p.negativePrompt, promptNoStyles: p.promptNoStyles, styles: p.styles, clipSkip: p.clipSkip, vaeFile: vaeInfo.vaeName,
    denoising: p.denoisingStrength ?? p.hires?.denoisingStrength, batchNumber: i, batchSize: p.batchSize, nIter: p.nIter, generationNumber: first + i + 1,
    allSeeds, date: new Date(), jobTimestamp: jobStart,
  });
  let ngmsSkipped = false; // A1111 writes NGMS once the uncond pass was actually skipped
  const infotextOf = (seed: bigint, subseed: bigint, trailing?: InfoEntries): string => img2imgInfotext(p, {
    ...(trailing ? { trailing } : {}),
    seed, subseed, samplerName: choice.sampler, scheduleLabel: choice.scheduler, modelHash, modelName,
    textConditioning: { tiHashes: conds.tiHashes, padConds: conds.padded }, loraHashes: loaded.loraHashes, ...vaeInfo,
    samplerUsesEnsd: choice.usesEnsd, tokenMergingRatio, tokenMergingRatioHr: hires?.tokenMergingRatio(), extra: [...(stages?.infotext.extra ?? plainImg2ImgExtra(p)), ...extraInfo],
    ...(stages?.infotext.conditionalMaskWeight !== undefined ? { conditionalMaskWeight: stages.infotext.conditionalMaskWeight } : {}),
    ...(hires ? { hires: hires.infotext(p.prompt, p.negativePrompt) } : {}),
    refiner: refiner?.infotext,
    sampling: afterSamplingExtra(p, ngmsSkipped),
  });
  const per = 4 * h * w;
  for (let iter = 0; iter < p.nIter; iter++) {
    // A hires checkpoint or the refiner replaced the model during the last batch: load the first pass's again (A1111 does too).
    if ((hires || refiner?.infotext) && iter > 0) model = (await modelFor(deps, p.model, p.prompt, p.sdVae, jobSpeed(p, p.width, p.height))).model;
    if (job.interrupted) break; // A1111's Interrupt: keep what is done, start no further batch
    const check = refiner?.forRun();
    const first = iter * p.batchSize;
    const { seeds, subseeds } = imageSeeds(p, first, p.batchSize);
    const noise = createImageNoise({
      source: rngSource, seeds, subseeds, subseedStrength: p.subseedStrength,
      seedResizeFromH: p.seedResizeFromH, seedResizeFromW: p.seedResizeFromW, shape: [4, h, w], ensd: p.ensd,
    });
    const batchInits = stages ? stages.batchInits(first, p.batchSize) : Array.from({ length: p.batchSize }, (_, i) => (inits.length ? inits[(first + i) % inits.length]!.latent : undefined));
    const x = startLatents(scaleInitialNoise(noise.first(), p.isImg2Img ? p.initialNoiseMultiplier : 1), per, batchInits, sigmas[0]!, choice.kind, plan.alphaEnc);
    const batchSignal = job.beginBatch();
    let latest: Float32Array | undefined;
    const sampled = await denoise({
      model, schedule, kind: choice.kind, conditioning: conds.forRun(), cfgScale: p.cfgScale, cfgScaleMultiplier: choice.cfgScaleMultiplier, x, n: p.batchSize, h, w, sigmas, sampler,
      sMinUncond: p.sMinUncond, sMinUncondAll: p.sMinUncondAll, onUncondSkipped: (why) => void (ngmsSkipped ||= why === 'ngms'), tokenMergingRatio,
      noise: () => noise.next(), signal: batchSignal,
      ...stages?.denoiseHooks(first, p.batchSize),
      ...(check ? { switchModel: async (sigma, call) => check(sigma, call).then((r) => (r && (model = r.model), r)) } : {}),
      onStep: (i, denoised) => {
        latest = denoised;
        job.progress(i + 1, totalRun, iter, p.nIter);
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
    // Hires fix: the second pass replaces the decode (skipped in the first pass: A1111 decodes what it has).
    const second = hires && sampled ? await hires.run({
      latents: result, n: p.batchSize, h, w, seeds, subseeds, firstModel: model, signal: batchSignal,
      onUncondSkipped: (why) => void (ngmsSkipped ||= why === 'ngms'),
      ...(p.save.beforeHighresFix ? { beforeUpscale: (imgs: RgbImage[]) => Promise.all(imgs.map((img, i) => out.intermediate(img, infotextOf(seeds[i]!, subseeds[i]!), names(seeds[i]!, i, first), '-before-highres-fix'))).then(() => undefined) } : {}),
      onStep: (i, denoised, hh, ww) => {
        job.progress(stepsRun + i + 1, totalRun, iter, p.nIter);
        if (job.wantsPreview(stepsRun + i + 1, totalRun)) preview.send(job, first, stepsRun + i + 1, denoised.subarray(0, 4 * hh * ww), hh, ww);
      },
    }) : undefined;
    await preview.flush();
    throwIfAborted(job.signal);
    const raw = second ?? await decodeLatents(model, result, p.batchSize, h, w);
    const finished: RgbImage[] = [];
    for (let i = 0; i < raw.length; i++) finished.push(await finish.apply(raw[i]!, first + i, () => infotextOf(seeds[i]!, subseeds[i]!), names(seeds[i]!, i, first), (m) => job.report(iter, p.nIter, m)));
    const decoded = stages && !second ? await stages.finish(finished, result, first) : finished;
    for (let i = 0; i < decoded.length; i++) {
      throwIfAborted(job.signal);
      images.push(await out.image(decoded[i]!, seeds[i]!, infotextOf(seeds[i]!, subseeds[i]!), names(seeds[i]!, i, first)));
      outputs.push(decoded[i]!);
    }
  }
  const grid = images.length ? await out.grid(outputs, infotextOf(p.seed, p.subseed), names(p.seed, 0, 0)) : undefined;
  const result: GenerationResult = {
    jobId: job.id,
    images,
    ...(grid ? { grids: [grid] } : {}),
    parameters: { ...raw, seed: seedJson(p.seed), subseed: seedJson(p.subseed), steps: p.steps, sampler_name: choice.sampler, scheduler: choice.scheduler, width: p.width, height: p.height },
    ...(job.warnings.length ? { warnings: [...job.warnings] } : {}),
  };
  return { result, outputs, infotextWith: (extra) => infotextOf(p.seed, p.subseed, extra) };
}
