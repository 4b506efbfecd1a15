// An A1111-compatible server as a backend (A1111, Forge, reForge, SD.Next, another `sd-studio serve --api`):
// the job's params become /sdapi/v1/txt2img or /img2img JSON, /progress is polled for progress and previews,
// Skip and cancel become /skip and /interrupt, and the images come home with the server's own infotexts.
import { decodeImage, readImageRef } from '../image/decode';
import { encodePng } from '../image/encode';
import type { RgbImage } from '../image/rgbImage';
import type { RemoteExtras } from '../pipelines/extras';
import { CancelledError, invalidParam, RpcError } from '../errors';
import type { JobContext } from '../jobs';
import { saveRemoteImage } from '../output/remoteImage';
import { checkWritableFolder } from '../../models/formats/outputChecks';
import { ErrorCodes, type BackendConfig, type DaemonSettings, type GeneratedImage, type GenerationResult, type Img2ImgParams } from '../protocol';
import { applyJobStyles } from '../modelFiles/styles';
import { resolveImg2Img, type ResolvedImg2Img } from '../validate';
import { RemoteError, RemoteHttp } from './remoteHttp';
import { modelKey, POLL_MS, type RemoteBackend } from './types';
import { parseSeed, seedJson } from '../seed';

interface SdModelItem {
  title: string;
  model_name: string;
}

/** txt2img's hires fix as A1111's fields (`hr_cfg` is Forge's; A1111 itself ignores it). */
function hiresBody(h: NonNullable<ResolvedImg2Img['hires']>, checkpoint: (name: string) => string | undefined): Record<string, unknown> {
  return {
    enable_hr: true, hr_scale: h.scale, hr_resize_x: h.resizeX, hr_resize_y: h.resizeY, hr_second_pass_steps: h.steps, denoising_strength: h.denoisingStrength,
    hr_prompt: h.prompt, hr_negative_prompt: h.negativePrompt,
    ...(h.upscaler !== undefined ? { hr_upscaler: h.upscaler } : {}),
    ...(h.samplerName !== undefined ? { hr_sampler_name: h.samplerName } : {}),
    ...(h.scheduler !== undefined ? { hr_scheduler: h.scheduler } : {}),
    ...(h.cfgScale !== undefined ? { hr_cfg: h.cfgScale } : {}),
    ...(h.checkpoint !== undefined ? { hr_checkpoint_name: checkpoint(h.checkpoint) } : {}),
  };
}

/**
 * The resolved job (styles already applied) as A1111's request JSON (explicit values everywhere: the API's
 * defaults differ from the UI's). `checkpoint` names a model as the server titles it.
 */
export function a1111Body(p: ResolvedImg2Img, checkpoint: (name: string) => string | undefined, model: string): Record<string, unknown> {
  const title = checkpoint(model);
  const body: Record<string, unknown> = {
    prompt: p.prompt, negative_prompt: p.negativePrompt, seed: seedJson(p.seed), subseed: seedJson(p.subseed), subseed_strength: p.subseedStrength,
    seed_resize_from_h: p.seedResizeFromH > 0 ? p.seedResizeFromH : -1, seed_resize_from_w: p.seedResizeFromW > 0 ? p.seedResizeFromW : -1,
    sampler_name: p.samplerName, scheduler: p.scheduler, steps: p.steps, cfg_scale: p.cfgScale, width: p.width, height: p.height,
    batch_size: p.batchSize, n_iter: p.nIter, send_images: true, save_images: false,
    restore_faces: p.restoreFaces !== undefined,
    override_settings: {
      ...(title ? { sd_model_checkpoint: title } : {}),
      CLIP_stop_at_last_layers: p.clipSkip, eta_noise_seed_delta: p.ensd, randn_source: p.randnSource, img2img_fix_steps: p.fixSteps,
      inpainting_mask_weight: p.inpaint.maskWeight, pad_cond_uncond: p.padCondUncond,
      ...(p.restoreFaces ? { face_restoration_model: p.restoreFaces.model === 'gfpgan' ? 'GFPGAN' : 'CodeFormer', code_former_weight: p.restoreFaces.codeformerWeight } : {}),
      token_merging_ratio: p.tokenMergingRatio, s_min_uncond_all: p.sMinUncondAll, sd_vae_decode_method: p.vaeDecode, sd_vae_encode_method: p.vaeEncode,
      ...(p.hires ? { token_merging_ratio_hr: p.hires.tokenMergingRatio } : {}),
    },
    s_min_uncond: p.sMinUncond,
    override_settings_restore_afterwards: true,
  };
  if (p.initImages.length === 0) return p.hires ? { ...body, ...hiresBody(p.hires, checkpoint) } : body;
  const ip = p.inpaint;
  if (ip.maskFromAlpha) throw invalidParam('mask_from_alpha', 'A1111 backends take a mask image; send the mask instead of the alpha channel');
  if (ip.maskAlpha !== 0) throw invalidParam('mask_alpha', 'A1111\'s API has no mask transparency; leave it at 0 on an A1111 backend');
  Object.assign(body, {
    init_images: p.initImages.map((ref, i) => readImageRef(ref, `init_images[${i}]`).bytes.toString('base64')),
    denoising_strength: p.denoisingStrength, resize_mode: p.resizeMode, initial_noise_multiplier: p.initialNoiseMultiplier,
  });
  if (ip.mask) {
    Object.assign(body, {
      mask: readImageRef(ip.mask, 'mask').bytes.toString('base64'), mask_blur_x: ip.blurX, mask_blur_y: ip.blurY,
      inpainting_fill: ip.fill, inpaint_full_res: ip.fullRes, inpaint_full_res_padding: ip.padding, inpainting_mask_invert: ip.invert ? 1 : 0,
    });
    if (ip.soft) {
      const s = ip.soft;
      body.alwayson_scripts = { 'soft inpainting': { args: [true, s.power, s.scale, s.detailPreservation, s.maskInfluence, s.differenceThreshold, s.differenceContrast] } };
    }
  }
  return body;
}

export class A1111Backend implements RemoteBackend {
  private readonly http: RemoteHttp;
  private models: SdModelItem[] = [];

  constructor(readonly config: BackendConfig) {
    this.http = new RemoteHttp(config.name, config.url ?? '', config.auth);
  }

  /** Extras' model work through /sdapi/v1/extra-single-image: one upscaler, or one face restorer. */
  readonly extras: RemoteExtras = {
    upscale: (img, name, scale, signal) => this.extraSingle(img, { upscaler_1: name, upscaling_resize: scale, resize_mode: 0 }, signal),
    restoreFaces: (img, model, visibility, weight, signal) =>
      this.extraSingle(img, { upscaler_1: 'None', [`${model}_visibility`]: visibility, ...(model === 'codeformer' ? { codeformer_weight: weight } : {}) }, signal),
  };

  private async extraSingle(img: RgbImage, fields: Record<string, unknown>, signal: AbortSignal): Promise<RgbImage> {
    const image = Buffer.from(await encodePng(img)).toString('base64');
    let r: { image?: string };
    try {
      r = await this.http.json('POST', 'sdapi/v1/extra-single-image', { image, ...fields }, signal);
    } catch (e) {
      if (e instanceof RemoteError) throw new RpcError(ErrorCodes.JobFailed, e.message);
      throw e;
    }
    if (!r.image) throw new RpcError(ErrorCodes.JobFailed, `${this.config.name}: extra-single-image returned no image`);
    return decodeImage({ bytes: Buffer.from(r.image, 'base64'), label: `${this.config.name}: extras result` });
  }

  async listModels(): Promise<string[]> {
    this.models = await this.http.json<SdModelItem[]>('GET', 'sdapi/v1/sd-models', undefined, undefined, 10_000);
    return this.models.map((m) => m.title);
  }

  /** The server's title for the model the job asks for (sd_model_checkpoint); none asked: its current one. */
  private checkpointFor(model: string): string | undefined {
    if (!model) return undefined;
    const key = modelKey(model);
    const hit = this.models.find((m) => modelKey(m.title) === key || m.model_name.toLowerCase() === key);
    if (!hit) throw new RpcError(ErrorCodes.NotFound, `backend "${this.config.name}" has no model "${key}"`, { field: 'model' });
    return hit.title;
  }

  async generate(params: Img2ImgParams, job: JobContext, settings: DaemonSettings): Promise<GenerationResult> {
    const p = applyJobStyles(resolveImg2Img(params, settings), settings.stylesFile, settings.modelsRoot);
    if (p.saveImages) await checkWritableFolder(p.outdir); // before the remote engine works, not after
    await this.listModels();
    const body = a1111Body(p, (m) => this.checkpointFor(m), params.model ?? settings.model);
    const isImg2Img = p.isImg2Img;
    const stopForwarding = this.forwardControls(job);
    const stopPolling = this.pollProgress(job);
    let res: { images: string[]; info: string };
    try {
      res = await this.http.json('POST', `sdapi/v1/${isImg2Img ? 'img2img' : 'txt2img'}`, body);
    } catch (e) {
      if (e instanceof RemoteError) throw new RpcError(ErrorCodes.JobFailed, e.message);
      throw e;
    } finally {
      stopForwarding();
      stopPolling();
    }
    if (job.signal.aborted && !job.interrupted) throw new CancelledError();
    const info = JSON.parse(res.info) as { infotexts: string[]; all_seeds: number[]; index_of_first_image?: number; seed?: number; subseed?: number };
    const first = info.index_of_first_image ?? 0;
    const target = p.saveImages ? { root: p.outdir, tab: isImg2Img ? 'img2img-images' : 'txt2img-images', directoryPattern: settings.directoryPattern, filenamePattern: settings.filenamePattern } as const : undefined;
    const images: GeneratedImage[] = [];
    res.images.slice(first).forEach((b64, i) => {
      const seed = parseSeed(info.all_seeds[i]) ?? p.seed + BigInt(i);
      const infotext = info.infotexts[first + i] ?? info.infotexts[i] ?? '';
      images.push(saveRemoteImage(Buffer.from(b64, 'base64'), infotext, seed, { target, send: p.sendImages, index: i, batchSize: p.batchSize }));
    });
    return {
      jobId: job.id, backend: this.config.name, images,
      parameters: { ...params, seed: seedJson(p.seed), subseed: seedJson(p.subseed), steps: p.steps, sampler_name: p.samplerName, scheduler: p.scheduler, width: p.width, height: p.height },
    };
  }

  /** Skip → /skip (and watch for the next one), cancel or Interrupt → /interrupt. */
  private forwardControls(job: JobContext): () => void {
    let done = false;
    const onCancel = (): void => void this.http.json('POST', 'sdapi/v1/interrupt', {}, undefined, 5000).catch(() => undefined);
    job.signal.addEventListener('abort', onCancel);
    const watchSkip = (): void => {
      const batch = job.beginBatch();
      batch.addEventListener('abort', () => {
        if (done || job.signal.aborted) return;
        void this.http.json('POST', job.interrupted ? 'sdapi/v1/interrupt' : 'sdapi/v1/skip', {}, undefined, 5000).catch(() => undefined);
        if (!job.interrupted) watchSkip();
      }, { once: true });
    };
    watchSkip();
    return () => {
      done = true;
      job.signal.removeEventListener('abort', onCancel);
    };
  }

  /** Progress and previews from /progress while the request runs. */
  private pollProgress(job: JobContext): () => void {
    let stopped = false;
    let lastImage: string | null = null;
    const tick = async (): Promise<void> => {
      while (!stopped) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        if (stopped) return;
        try {
          const pr = await this.http.json<{ state: { job_no: number; job_count: number; sampling_step: number; sampling_steps: number }; current_image: string | null }>('GET', 'sdapi/v1/progress', undefined, undefined, 5000);
          const s = pr.state;
          if (stopped || s.job_count <= 0 || s.sampling_steps <= 0) continue;
          job.progress(s.sampling_step, s.sampling_steps, Math.min(s.job_no, s.job_count - 1), s.job_count);
          // The remote decides when it renders a preview: forward each new one (previews on, rate-limited).
          if (pr.current_image && pr.current_image !== lastImage && job.wantsPreview(s.sampling_step, s.sampling_step)) {
            lastImage = pr.current_image;
            const png = Buffer.from(pr.current_image, 'base64');
            if (png.length >= 24) job.preview({ image: s.job_no, step: s.sampling_step, width: png.readUInt32BE(16), height: png.readUInt32BE(20), png: pr.current_image });
          }
        } catch {
          // A missed poll costs one progress update; a server that is gone fails the main request.
        }
      }
    };
    void tick();
    return () => void (stopped = true);
  }

  dispose(): void {
    // Nothing held open between requests.
  }
}
