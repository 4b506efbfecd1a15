// A ComfyUI server as a backend, through @saintno/comfyui-sdk (HTTP + websocket): the job becomes one prompt per
// image built from standard nodes (comfyGraph.ts), images and masks are uploaded, progress and previews come from
// the websocket, Skip and cancel become /interrupt, and each result comes home with the infotext a local job
// would write for the same settings (ComfyUI writes none of its own).
import { randomUUID } from 'node:crypto';
import { ComfyApi } from '@saintno/comfyui-sdk';
import sharp from 'sharp';
import { decodeImage, readImageRef } from '../image/decode';
import type { RemoteExtras } from '../pipelines/extras';
import { encodePng } from '../image/encode';
import { grayToRgb } from '../image/mask/gray';
import { BackendLostError, CancelledError, invalidParam, RpcError } from '../errors';
import type { JobContext } from '../jobs';
import { img2imgInfotext } from '../output/infotext';
import { saveRemoteImage } from '../output/remoteImage';
import { checkWritableFolder } from '../../models/formats/outputChecks';
import { ErrorCodes, type BackendConfig, type DaemonSettings, type GeneratedImage, type GenerationResult, type Img2ImgParams } from '../protocol';
import { resolveSampler } from '../sampling';
import { inpaintSourceMask, maskedImg2ImgExtra, plainImg2ImgExtra } from '../stages/inpaint';
import { applyJobStyles } from '../modelFiles/styles';
import { resolveImg2Img, type ResolvedImg2Img } from '../validate';
import { generationPrompt, OUTPUT_NODE, upscalePrompt, type ComfyPrompt } from './comfyGraph';
import { modelKey, type RemoteBackend } from './types';
import { ArrayBufferWebSocket } from './wsBinary';
import { seedJson } from '../seed';

const CONNECT_TIMEOUT_MS = 10_000;
/** The SDK reconnects after this long without a message; loading a large checkpoint can be that quiet. */
const WS_SILENCE_MS = 120_000;

/** How one prompt ended. */
type Outcome = 'done' | 'interrupted';

/** What to do with a prompt's messages: `stop` interrupts it; progress and previews are reported if wanted. */
interface Follow {
  stop: AbortSignal;
  progress?(value: number, max: number): void;
  preview?(png: string, width: number, height: number): void;
}

export class ComfyUiBackend implements RemoteBackend {
  private ready: Promise<ComfyApi> | undefined;

  constructor(readonly config: BackendConfig) {}

  private lost(why: string): BackendLostError {
    return new BackendLostError(this.config.name, `${this.config.url}: ${why}`);
  }

  private credentials(): ConstructorParameters<typeof ComfyApi>[2] {
    const auth = this.config.auth;
    if (!auth) return {};
    if (/^bearer\s/i.test(auth)) return { credentials: { type: 'bearer_token', token: auth.replace(/^bearer\s+/i, '') } };
    const i = auth.indexOf(':');
    return { credentials: { type: 'basic', username: auth.slice(0, i), password: auth.slice(i + 1) } };
  }

  /** The SDK client with its websocket open (previews need binary frames as ArrayBuffers). */
  private connect(): Promise<ComfyApi> {
    this.ready ??= new Promise<ComfyApi>((resolve, reject) => {
      const api = new ComfyApi(this.config.url ?? '', randomUUID(), { ...this.credentials(), customWebSocketImpl: ArrayBufferWebSocket as never, forceWs: true, wsTimeout: WS_SILENCE_MS });
      const timer = setTimeout(() => fail('no websocket connection'), CONNECT_TIMEOUT_MS);
      const offs = [api.on('connected', () => done()), api.on('connection_error', (e) => fail(String((e.detail as Error)?.message ?? e.detail)))];
      const done = (): void => {
        clearTimeout(timer);
        offs.forEach((f) => f());
        resolve(api);
      };
      const fail = (why: string): void => {
        clearTimeout(timer);
        offs.forEach((f) => f());
        api.destroy();
        reject(this.lost(why));
      };
      api.init(0, 500);
    });
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  /** A call to ComfyUI's HTTP API: a network failure means the server is gone. */
  private async http<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (e instanceof Response) throw new RpcError(ErrorCodes.JobFailed, `${this.config.name}: ${what}: HTTP ${e.status}: ${(await e.text().catch(() => '')).slice(0, 300)}`);
      if (e instanceof RpcError || e instanceof CancelledError) throw e;
      throw this.lost(`${what}: ${(e as Error)?.message ?? e}`);
    }
  }

  async listModels(): Promise<string[]> {
    const api = new ComfyApi(this.config.url ?? '', randomUUID(), this.credentials());
    return this.http('listing checkpoints', () => api.getCheckpoints());
  }

  private async upload(api: ComfyApi, bytes: Uint8Array, name: string): Promise<string> {
    const r = await this.http(`uploading ${name}`, () => api.uploadImage(bytes, name, { override: true }));
    if (!r) throw this.lost(`uploading ${name} failed`);
    return r.info.filename;
  }

  async generate(params: Img2ImgParams, job: JobContext, settings: DaemonSettings): Promise<GenerationResult> {
    const p = applyJobStyles(resolveImg2Img(params, settings), settings.stylesFile, settings.modelsRoot);
    if (p.saveImages) await checkWritableFolder(p.outdir); // before the remote engine works, not after
    checkSupported(p);
    const checkpoints = await this.listModels();
    const wanted = modelKey(params.model || settings.model || '');
    const checkpoint = wanted ? checkpoints.find((c) => modelKey(c) === wanted) : checkpoints[0];
    if (!checkpoint) throw new RpcError(ErrorCodes.NotFound, `backend "${this.config.name}" has no model "${wanted || '(any)'}"`, { field: 'model' });
    const choice = resolveSampler(p.samplerName, p.scheduler);
    const api = await this.connect();
    const isImg2Img = p.isImg2Img;
    const masked = p.inpaint.mask !== undefined;
    const inits: string[] = [];
    for (const [i, ref] of p.initImages.entries()) inits.push(await this.upload(api, readImageRef(ref, `init_images[${i}]`).bytes, `sd-studio-${job.id}-init${i}.png`));
    const mask = masked ? await this.upload(api, await encodePng(grayToRgb(await inpaintSourceMask(p))), `sd-studio-${job.id}-mask.png`) : undefined;
    const target = p.saveImages ? { root: p.outdir, tab: isImg2Img ? 'img2img-images' : 'txt2img-images', directoryPattern: settings.directoryPattern, filenamePattern: settings.filenamePattern } as const : undefined;

    const onCancel = (): void => void api.interrupt().catch(() => undefined);
    job.signal.addEventListener('abort', onCancel);
    const images: GeneratedImage[] = [];
    const total = p.batchSize * p.nIter;
    try {
      for (let k = 0; k < total && !job.interrupted; k++) {
        // One prompt per image: a ComfyUI batch shares one seed, an A1111 batch gives image k the seed s + k.
        const seed = p.seed + BigInt(k);
        const prompt = generationPrompt({
          // The client library sends the prompt with JSON.stringify: seeds beyond 2^53 reach ComfyUI rounded.
          checkpoint, prompt: p.prompt, negativePrompt: p.negativePrompt, seed: Number(seed), steps: p.steps, cfg: p.cfgScale, sampler: choice.sampler, scheduler: choice.scheduler,
          width: p.width, height: p.height, clipSkip: p.clipSkip, tokenMergingRatio: p.tokenMergingRatio,
          ...(isImg2Img ? { init: { image: inits[k % inits.length]!, resizeMode: p.resizeMode as 0 | 1, denoise: p.denoisingStrength ?? 0.75, fixSteps: p.fixSteps } } : {}),
          ...(mask ? { mask: { image: mask, fill: p.inpaint.fill } } : {}),
        });
        const outcome = await this.run(api, prompt, {
          stop: job.beginBatch(),
          progress: (v, max) => job.progress(v, max, k, total),
          // ComfyUI decides when it sends a preview: forward it when previews are on (rate-limited by the job).
          preview: (png, width, height) => {
            if (job.wantsPreview(1, 1)) job.preview({ image: k, step: 0, width, height, png });
          },
        });
        if (job.signal.aborted) throw new CancelledError();
        if (outcome === 'interrupted') continue; // Skip: ComfyUI keeps no partial image
        const infotext = img2imgInfotext(p, {
          seed, subseed: p.subseed + BigInt(k), samplerName: choice.sampler, scheduleLabel: choice.scheduler, modelName: modelKey(checkpoint),
          samplerUsesEnsd: false, tokenMergingRatio: p.tokenMergingRatio, extra: masked ? maskedImg2ImgExtra(p) : plainImg2ImgExtra(p),
        });
        images.push(saveRemoteImage(await this.output(api, prompt), infotext, seed, { target, send: p.sendImages, index: k, batchSize: p.batchSize }));
      }
    } finally {
      job.signal.removeEventListener('abort', onCancel);
    }
    return {
      jobId: job.id, backend: this.config.name, images,
      parameters: { ...params, seed: seedJson(p.seed), subseed: seedJson(p.subseed), steps: p.steps, sampler_name: choice.sampler, scheduler: choice.scheduler, width: p.width, height: p.height },
    };
  }

  /**
   * Queue one prompt and follow it on the websocket until it ends; `stop` firing sends /interrupt. Listening
   * starts before the prompt is queued: ComfyUI may run it (and send every message) before the HTTP answer
   * with its id arrives.
   */
  private async run(api: ComfyApi, prompt: ComfyPrompt, follow: Follow): Promise<Outcome> {
    let id: string | undefined;
    const early: Array<() => void> = [];
    let settle!: { resolve: (o: Outcome) => void; reject: (e: unknown) => void };
    const ended = new Promise<Outcome>((resolve, reject) => (settle = { resolve, reject }));
    const offs: Array<() => void> = [];
    const onStop = (): void => void api.interrupt().catch(() => undefined);
    const end = (f: () => void): void => {
      offs.forEach((off) => off());
      follow.stop.removeEventListener('abort', onStop);
      f();
    };
    /** Run `f` for messages of this prompt; those that come before its id is known wait for it. */
    const mine = <T extends { prompt_id?: string }>(f: (d: T) => void) => (e: CustomEvent<T>): void => {
      if (id === undefined) early.push(() => e.detail.prompt_id === id && f(e.detail));
      else if (e.detail.prompt_id === id) f(e.detail);
    };
    follow.stop.addEventListener('abort', onStop);
    offs.push(
      api.on('progress', mine((d) => follow.progress?.(d.value, d.max))),
      api.on('b_preview', (e) => {
        if (!follow.preview) return;
        const show = follow.preview;
        void e.detail.arrayBuffer().then((buf) => sharp(Buffer.from(buf)).png().toBuffer({ resolveWithObject: true })).then(
          ({ data, info }) => show(data.toString('base64'), info.width, info.height),
          () => undefined,
        );
      }),
      api.on('execution_success', mine(() => end(() => settle.resolve('done')))),
      api.on('executing', mine((d) => d.node === null && end(() => settle.resolve('done')))),
      api.on('execution_interrupted', mine(() => end(() => settle.resolve('interrupted')))),
      api.on('execution_error', mine((d: { prompt_id?: string; node_type?: string; exception_message?: string }) =>
        end(() => settle.reject(new RpcError(ErrorCodes.JobFailed, `${this.config.name}: ${d.node_type ?? 'node'}: ${d.exception_message ?? 'execution error'}`))))),
      api.on('disconnected', () => end(() => settle.reject(this.lost('the websocket closed mid-job')))),
    );
    try {
      id = (await this.http('queueing the prompt', () => api.queuePrompt(null, prompt))).prompt_id;
    } catch (e) {
      end(() => undefined);
      throw e;
    }
    (prompt as { _id?: string })._id = id;
    for (const f of early.splice(0)) f();
    return ended;
  }

  /** Upscale model passes on ComfyUI (standard nodes have no face restorer). */
  readonly extras: RemoteExtras = {
    upscale: async (img, name, _scale, signal) => {
      const api = await this.connect();
      const defs = await this.http('listing upscale models', () => api.getNodeDefs('UpscaleModelLoader'));
      const names = ((defs?.UpscaleModelLoader?.input?.required as Record<string, unknown> | undefined)?.model_name as [string[]] | undefined)?.[0] ?? [];
      const model = names.find((n) => modelKey(n) === modelKey(name));
      if (!model) throw invalidParam('upscaler_1', `backend "${this.config.name}" has no upscale model "${name}"`, names.join(' | ') || '(none in its models/upscale_models)');
      const image = await this.upload(api, await encodePng(img), `sd-studio-upscale-${randomUUID()}.png`);
      const prompt = upscalePrompt(image, model);
      const outcome = await this.run(api, prompt, { stop: signal });
      if (outcome === 'interrupted' || signal.aborted) throw new CancelledError();
      return decodeImage({ bytes: Buffer.from(await this.output(api, prompt)), label: `${this.config.name}: upscale result` });
    },
  };

  /** The finished image of a prompt, from its history entry. */
  private async output(api: ComfyApi, prompt: ComfyPrompt): Promise<Uint8Array> {
    const id = (prompt as { _id?: string })._id!;
    const entry = await this.http('reading the history', () => api.getHistory(id));
    const info = entry?.outputs?.[OUTPUT_NODE]?.images?.[0];
    if (!info) throw new RpcError(ErrorCodes.JobFailed, `${this.config.name}: prompt ${id} finished without an image`);
    const blob = await this.http('downloading the image', () => api.getImage(info));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    // PreviewImage writes PNG; anything else is converted so the infotext can go into a PNG chunk.
    return bytes[0] === 0x89 ? bytes : new Uint8Array(await sharp(bytes).png().toBuffer());
  }

  dispose(): void {
    void this.ready?.then((api) => api.destroy(), () => undefined);
    this.ready = undefined;
  }
}

/** What the standard-node graphs cannot express: refused with the field named, rather than done differently. */
function checkSupported(p: ResolvedImg2Img): void {
  if (p.subseedStrength !== 0) throw invalidParam('subseed_strength', 'variation seeds are not available on ComfyUI backends');
  if (p.initImages.length && p.resizeMode > 1) throw invalidParam('resize_mode', 'ComfyUI backends resize with ImageScale: just resize (0) or crop and resize (1)');
  if (p.inpaint.mask !== undefined && p.inpaint.fullRes) throw invalidParam('inpaint_full_res', '"Only masked" is not available on ComfyUI backends; use the whole picture');
  if (p.inpaint.maskFromAlpha) throw invalidParam('mask_from_alpha', 'ComfyUI backends take a mask image');
  if (p.inpaint.soft) throw invalidParam('soft_inpainting', 'soft inpainting is an A1111 extension; not available on ComfyUI backends');
  if (p.initialNoiseMultiplier !== 1) throw invalidParam('initial_noise_multiplier', 'not available on ComfyUI backends');
  if (p.hires) throw invalidParam('enable_hr', 'the hires fix is not built as a ComfyUI graph yet; run it on this machine or an A1111 backend');
  if (p.restoreFaces) throw invalidParam('restore_faces', 'face restoration is not built as a ComfyUI graph yet; run it on this machine or an A1111 backend');
  if (p.aesthetic) throw invalidParam('aesthetic', 'aesthetic embeddings are an A1111 extension; not available on ComfyUI backends');
  if (p.sMinUncond > 0) throw invalidParam('s_min_uncond', 'Negative Guidance minimum sigma (NGMS) is not available on ComfyUI backends; set it to 0');
  if (p.vaeDecode !== 'Full' || p.vaeEncode !== 'Full') throw invalidParam(`override_settings.sd_vae_${p.vaeDecode !== 'Full' ? 'decode' : 'encode'}_method`, 'VAE type TAESD is not available on ComfyUI backends (their VAEDecode runs the checkpoint\'s VAE); use Full');
}
