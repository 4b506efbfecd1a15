// Stage: the text conditioning of a job, as A1111's `StableDiffusionProcessing.setup_conds` builds it: extra-network
// tags out of the positive prompt, AND split (positive only), prompt-editing schedules over the sampler's total steps,
// then each prompt's scheduled texts encoded together (chunks, embeddings, emphasis, CLIP skip). The negative prompt is
// encoded first, then the AND parts, which is also the order A1111 builds "TI hashes" in. SDXL conditionings also
// carry the pooled text and the size numbers (conditioning/sdxlVector.ts).
import type { EmbeddingDatabase } from '../modelFiles/embeddings';
import type { SdModel } from '../parts/sdModel';
import { getLearnedConditioningPromptSchedules, getMulticondPromptList, parseExtraNetworks } from '../prompt';
import type { StepConditioning } from './denoise';
import { StepConditioner, type EncodedSchedule } from './conditioning/stepConditioning';
import { TextConditioner, type ChunkAesthetic, type Conditioning, type GroupResult } from './conditioning/textConditioner';
import { sdxlTimeIds, zeroText, type SdxlSizeConditioning } from './conditioning/sdxlVector';

export type { Conditioning } from './conditioning/textConditioner';

export interface JobConditioningRequest {
  model: SdModel;
  prompt: string;
  negativePrompt: string;
  /** A1111's `total_steps`: the steps the schedules are built for (2 × steps for second-order samplers). */
  totalSteps: number;
  /**
   * A hires fix second pass: its own `total_steps`. The schedules are then the second pass's, with `when` counted
   * from the end of the first pass (`totalSteps`), as A1111's `calculate_hr_conds` builds them.
   */
  hiresTotalSteps?: number;
  /** `CLIP_stop_at_last_layers` (1 = off). */
  clipSkip?: number;
  embeddings?: EmbeddingDatabase | null;
  /**
   * A1111 `pad_cond_uncond` ("Pad prompt/negative prompt", off by default): pad cond and uncond of different
   * chunk counts to the same length with the empty prompt. Off: `denoise` runs them in separate UNet calls.
   */
  padCondUncond?: boolean;
  /** SDXL: the generation size and A1111's size/aesthetic settings (required for SDXL models). */
  sdxl?: SdxlSizeConditioning;
  signal?: AbortSignal;
  /** The aesthetic-gradients extension, for every prompt's chunks (negative included, as its hook runs). */
  aesthetic?: ChunkAesthetic;
}

export interface JobConditioning {
  /** Conditioning at denoiser call k (0-based). */
  at(call: number): StepConditioning;
  /** For `denoise`'s `conditioning`: a fresh call counter per sampling run. */
  forRun(): (step: number) => StepConditioning;
  /** Infotext "TI hashes" (`name: 12hex, ...`), undefined when no embedding was used. */
  readonly tiHashes: string | undefined;
  /** Embeddings used by the prompt or the negative prompt. */
  readonly embeddingsUsed: string[];
  /** cond/uncond were padded at some call so far (only with `padCondUncond`; infotext "Pad conds: True"). */
  readonly padded: boolean;
}

/** Encodes everything a job's sampling needs; each distinct chunk goes through the text encoder once. */
export async function encodeJobConditioning(req: JobConditioningRequest): Promise<JobConditioning> {
  const steps = Math.max(1, req.totalSteps);
  const base = { clipSkip: req.clipSkip ?? 1, embeddings: req.embeddings ?? null, signal: req.signal, ...(req.aesthetic ? { aesthetic: req.aesthetic } : {}) };
  const conditioner = new TextConditioner(req.model, base);
  await conditioner.init();

  const timeIdCount = req.model.unet.added?.timeIds;
  if (timeIdCount !== undefined && !req.sdxl) throw new Error('an SDXL model needs the size conditioning (width, height, crop) to encode prompts');
  /** SDXL: size numbers on every conditioning; an all-empty negative prompt's text parts zeroed (A1111). */
  const withVector = (conds: Conditioning[], texts: readonly string[], negative: boolean): Conditioning[] => {
    if (timeIdCount === undefined) return conds;
    const timeIds = sdxlTimeIds(timeIdCount, req.sdxl!, negative);
    const zero = negative && texts.every((t) => t === '');
    return conds.map((c) => ({ ...(zero ? zeroText(c) : c), timeIds }));
  };

  const groups: GroupResult[] = [];
  const encodeSchedule = async (prompt: string, field: string): Promise<EncodedSchedule> => {
    const schedule = getLearnedConditioningPromptSchedules([prompt], steps, req.hiresTotalSteps ?? null)[0]!;
    const texts = schedule.map(([, text]) => text);
    const g = await conditioner.encodeGroup(texts, field);
    // Fixed-77 UNet exports fail inside ONNX Runtime on longer conditioning: say so before sampling starts.
    req.model.unet.checkContextTokens(g.conds[0]!.tokens, field === 'negative_prompt' ? 'the negative prompt' : 'the prompt');
    groups.push(g);
    const conds = withVector(g.conds, texts, field === 'negative_prompt');
    return schedule.map(([end], i) => ({ end, cond: conds[i]! }));
  };

  const uncond = await encodeSchedule(req.negativePrompt, 'negative_prompt');
  const multi = getMulticondPromptList([parseExtraNetworks(req.prompt).text]);
  const flat: EncodedSchedule[] = [];
  for (const text of multi.flat) flat.push(await encodeSchedule(text, 'prompt'));
  // The empty prompt pads cond/uncond; A1111 computes it when the model loads, without the aesthetic hook.
  const empty = withVector((await conditioner.encodeGroup([''], 'prompt', false)).conds, [''], false)[0]!;
  const steps$ = new StepConditioner(multi.indexes[0]!.map(([i, weight]) => ({ schedule: flat[i]!, weight })), uncond, empty, req.padCondUncond ?? false);

  const used: string[] = [];
  let tiHashes: string | undefined;
  for (const g of groups) {
    const hashes: string[] = [];
    for (const name of g.used) {
      if (!used.includes(name)) used.push(name);
      const h = await req.embeddings?.hash(name).catch(() => undefined);
      if (h) hashes.push(`${name.replace(/[:,]/g, '')}: ${h}`);
    }
    if (hashes.length) tiHashes = [...hashes, ...(tiHashes ? [tiHashes] : [])].join(', ');
  }

  return {
    at: (k) => steps$.at(k),
    forRun: () => steps$.forRun(),
    tiHashes,
    embeddingsUsed: used,
    get padded() {
      return steps$.padded;
    },
  };
}

/**
 * A job's conditioning for `model` (the size conditioning is used by SDXL models only); SDXL's text encoders are
 * released afterwards: their ~3 GB are not needed while sampling.
 */
export async function encodeSdxlAwareConditioning(model: SdModel, req: Omit<JobConditioningRequest, 'model' | 'sdxl'> & { sdxl: SdxlSizeConditioning }): Promise<JobConditioning> {
  const { sdxl, ...rest } = req;
  const conds = await encodeJobConditioning({ ...rest, model, ...(model.unet.added ? { sdxl } : {}) });
  if (model.kind !== 'sd') await model.releaseTextEncoders();
  return conds;
}

/** A single text's conditioning (no schedules, AND or embeddings): benches and tools. SDXL: a positive prompt's size numbers. */
export class PromptEncoder {
  private readonly conditioner: TextConditioner;
  private readonly cache = new Map<string, Promise<Conditioning>>();

  constructor(
    private readonly model: SdModel,
    clipSkip = 1,
    private readonly sdxl?: SdxlSizeConditioning,
  ) {
    this.conditioner = new TextConditioner(model, { clipSkip });
  }

  encode(text: string): Promise<Conditioning> {
    let c = this.cache.get(text);
    if (!c) {
      const count = this.model.unet.added?.timeIds;
      c = this.conditioner.encodeGroup([text]).then((g) => (count !== undefined && this.sdxl ? { ...g.conds[0]!, timeIds: sdxlTimeIds(count, this.sdxl, false) } : g.conds[0]!));
      this.cache.set(text, c);
    }
    return c;
  }
}
