import type { ClipTokenizer } from '../prompt/clipTokenizer';
import type { TokenizerStore } from '../prompt/tokenizerStore';
import { ModelLayoutError, readDiffusersOnnxLayout, requirePart, requireTokenizer, type DiffusersOnnxLayout, type ModelKind, type PartName } from '../../models/diffusersOnnx';
import type { ModelSession, SessionMemory, SessionPool } from '../../models/sessions';
import { hasKindExtension } from '../../models/registry';
import { invalidParam, modelError, RpcError } from '../errors';
import { TextEncoder } from './textEncoder';
import { Unet } from './unet';
import { VaeDecoder, VaeEncoder, type ImageEncoder, type LatentDecoder } from './vae';
import type { LoraApply } from '../../models/lora';
import { FP16_PROVIDERS, unetVariantTag, variantForProvider, type UnetVariant } from '../../models/unetVariant';

/**
 * How a checkpoint file is built: LoRAs merged in, the VAE (a file; false = the checkpoint's own), and the UNet
 * graph (token merging, int8).
 */
export interface CheckpointVariant {
  loras?: readonly LoraApply[];
  vae?: string | false;
  unet?: UnetVariant;
}

/** A loaded Stable Diffusion model: every part behind its small wrapper, sessions created once. */
export interface SdModel {
  layout: DiffusersOnnxLayout;
  /** 'sd' (1.x/2.x), 'sdxl' (CLIP-L + CLIP-G, text_embeds + six time_ids) or 'sdxl-refiner' (CLIP-G only, five). */
  kind: ModelKind;
  tokenizer: ClipTokenizer;
  /** Id used after EOS to fill the 77-token window. */
  padId: number;
  /** SD 1.x/2.x: the text encoder; SDXL: CLIP-L; the SDXL refiner: CLIP-G, its only one. */
  textEncoder: TextEncoder;
  /** SDXL base: CLIP-G (text_encoder_2), padded with `padId2` (0, "!", as open_clip pads). */
  textEncoder2?: TextEncoder;
  padId2?: number;
  unet: Unet;
  /** Latents → images: the VAE, or what the job chose instead (stages/vaeChoice.ts: TAESD, tiles). */
  vaeDecoder: LatentDecoder;
  /** Images → init latents; loaded on first use (txt2img does not need it). */
  vaeEncoder(): Promise<ImageEncoder>;
  /** Images → latents for inpainting models' conditioning: always the full VAE (tiled where the job tiles). */
  conditioningEncoder(): Promise<ImageEncoder>;
  /** Frees the text encoders' sessions (opened again by the next encode): SDXL's hold ~3 GB that sampling does not need. */
  releaseTextEncoders(): Promise<void>;
  /** Another ONNX file run alongside this model (TAESD), in the model's session pool: released with it. */
  session(file: string): Promise<ModelSession>;
  /** The UNet graph loaded: what was asked for on a checkpoint file; plain for folders (their graph is fixed). */
  unetVariant: UnetVariant;
}

function asRpc(e: unknown): unknown {
  if (e instanceof ModelLayoutError) return modelError(e.file, e.message.slice(e.file.length + 2), e.expected);
  return e;
}

/**
 * Keeps the current model's sessions in the SD session pool (given by daemon/services.ts); switching models
 * releases the previous ones (memory: GBs each).
 */
export class ModelManager {
  private current: { dir: string; unet: string; model: Promise<SdModel> } | undefined;

  constructor(
    private readonly pool: SessionPool,
    private readonly tokenizers: TokenizerStore,
    /** The cache's size limit in bytes (setting cacheLimitGB), kept after each checkpoint load. */
    private readonly cacheLimitBytes?: () => number,
    /** Where a notice for the user goes (a speed option that cannot apply to this model). */
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  /**
   * `variant` (checkpoint files only): LoRAs merged into the weights (models/lora.ts) and the VAE chosen by the
   * SD VAE setting (a file, or false for the checkpoint's own); the same file with another LoRA set, other
   * weights or another VAE is another model (its own cached build). Folders cannot take LoRAs.
   */
  async get(dir: string, variant: CheckpointVariant = {}): Promise<SdModel> {
    if (!dir) throw invalidParam('model', 'no model given and no default model configured (setting sdStudio.model / --model / SD_STUDIO_MODEL)', 'a diffusers ONNX model folder');
    const active = (variant.loras ?? []).filter((l) => l.te !== 0 || l.unet !== 0);
    const isFile = hasKindExtension(dir, 'checkpoint');
    if (unetVariantTag(variant.unet) && !isFile) this.warn(`${dir}: token merging and int8 need a single-file checkpoint (SD Studio builds its graphs); the folder's UNet runs as exported`);
    // GPU providers get the fp16 graph with fused attention (models/unetVariant.ts).
    const wanted = variantForProvider(variant.unet ?? {}, this.pool.provider);
    const unet = unetVariantTag(wanted) ? wanted : undefined;
    const base: CheckpointVariant = isFile ? { loras: active, ...(variant.vae !== undefined ? { vae: variant.vae } : {}) } : {};
    const v: CheckpointVariant = { ...base, ...(isFile && unet ? { unet } : {}) };
    const key = isFile && (active.length || v.vae !== undefined) ? `${dir}\0${JSON.stringify(base)}` : dir;
    const unetKey = unetVariantTag(v.unet) ?? '';
    if (this.current?.dir === key) {
      // Same weights, another UNet graph (token merging on/off, int8): only the UNet session changes.
      if (this.current.unet !== unetKey) this.swapUnet(this.current, dir, v, unetKey);
      return this.current.model;
    }
    if (active.length && !isFile) {
      throw invalidParam('prompt', `LoRA ${active.map((l) => `"${l.name}"`).join(', ')}: LoRAs are merged into single-file checkpoints (.safetensors/.ckpt) only, and ${dir} is an ONNX folder`);
    }
    await this.dispose();
    const model = this.load(dir, this.pool, v);
    this.current = { dir: key, unet: unetKey, model };
    // The UNet graph loaded may differ from the one asked for (fp16 → fp32 when the GPU provider did not start).
    void model.then((m) => {
      if (this.current?.model === model) this.current.unet = unetVariantTag(m.unetVariant) ?? '';
    }, () => undefined);
    model.catch(() => {
      if (this.current?.model === model) {
        this.current = undefined;
        void this.pool.disposeAll();
      }
    });
    return model;
  }

  /** The folder the loaded model's sessions read (a cache build for checkpoint files), if one is loaded. */
  async loadedFolder(): Promise<string | undefined> {
    const model = await this.current?.model.catch(() => undefined);
    return model?.layout.dir;
  }

  private swapUnet(cur: NonNullable<ModelManager['current']>, dir: string, v: CheckpointVariant, unetKey: string): void {
    const previous = cur.model;
    cur.unet = unetKey;
    cur.model = (async () => {
      const m = await previous;
      const layout = await (await import('./checkpointModel')).modelLayout(dir, v, this.cacheLimitBytes?.());
      const file = requirePart(layout, 'unet');
      // The same graph (SDXL: token merging changes nothing): keep its session.
      if (file === requirePart(m.layout, 'unet')) return { ...m, layout, unetVariant: v.unet ?? {} };
      // The old graph goes first: two UNet sessions at once would double the memory peak.
      await this.pool.release(requirePart(m.layout, 'unet'));
      return { ...m, layout, unet: new Unet(await openSession(this.pool, file, sessionMemory(m.kind))), unetVariant: v.unet ?? {} };
    })();
    cur.model.catch(() => {
      if (this.current === cur) {
        this.current = undefined;
        void this.pool.disposeAll();
      }
    });
  }

  /** Releases the current model's sessions. */
  async dispose(): Promise<void> {
    this.current = undefined;
    await this.pool.disposeAll();
  }

  private async load(dir: string, pool: SessionPool, variant: CheckpointVariant): Promise<SdModel> {
    try {
      // A .safetensors/.ckpt file is built into (or found in) the ONNX cache first; a folder is read as is.
      let layout = hasKindExtension(dir, 'checkpoint') ? await (await import('./checkpointModel')).modelLayout(dir, variant, this.cacheLimitBytes?.()) : readDiffusersOnnxLayout(dir);
      const tokenizer = this.tokenizers.get(requireTokenizer(layout));
      const memory = sessionMemory(layout.kind);
      const session = (part: PartName): Promise<ModelSession> => openSession(pool, requirePart(layout, part), memory);
      const first: PartName = layout.kind === 'sdxl-refiner' ? 'text_encoder_2' : 'text_encoder';
      let [text, text2, unet, dec] = await Promise.all([session(first), layout.kind === 'sdxl' ? session('text_encoder_2') : undefined, session('unet'), session('vae_decoder')]);
      if (layout.kind === 'sdxl') requireTokenizer(layout, layout.tokenizer2Dir);
      if (variant.unet?.precision === 'fp16' && !FP16_PROVIDERS.includes(unet.provider)) {
        // The GPU provider did not start (the pool said so): the fp16 graph would run on the CPU through casts.
        await pool.release(unet.path);
        variant = { ...variant, unet: { ...variant.unet, precision: 'fp32' } };
        layout = await (await import('./checkpointModel')).modelLayout(dir, variant, this.cacheLimitBytes?.());
        unet = await session('unet');
      }
      let encoder: Promise<VaeEncoder> | undefined;
      const vaeEncoder = (): Promise<VaeEncoder> => (encoder ??= session('vae_encoder').then((s) => new VaeEncoder(s, layout.latentScale)).catch((e) => {
        encoder = undefined;
        throw asRpc(e);
      }));
      // SD1 tokenizers pad with EOS; SD2's and SDXL's CLIP-G (OpenCLIP) pad with "!" (id 0): special_tokens_map.json says which.
      const padId = layout.padToken !== undefined && layout.padToken !== '<|endoftext|>' ? tokenizer.padIdFor('sd2') : tokenizer.eosId;
      const sessions = { open: (file: string) => openSession(pool, file, memory), release: (file: string) => pool.release(file) };
      const textEncoder = new TextEncoder(text, sessions);
      const textEncoder2 = text2 ? new TextEncoder(text2, sessions) : undefined;
      return {
        layout,
        kind: layout.kind,
        tokenizer,
        padId,
        textEncoder,
        ...(textEncoder2 ? { textEncoder2, padId2: tokenizer.padIdFor('sd2') } : {}),
        unet: new Unet(unet),
        vaeDecoder: new VaeDecoder(dec, layout.latentScale),
        vaeEncoder,
        conditioningEncoder: vaeEncoder,
        releaseTextEncoders: async () => {
          await textEncoder.release();
          await textEncoder2?.release();
        },
        session: (file) => openSession(pool, file, memory),
        unetVariant: variant.unet ?? {},
      };
    } catch (e) {
      throw asRpc(e);
    }
  }
}

/**
 * No arena: each session's arena would keep its largest run's activations (UNet, VAE encoder, decoder, one after
 * the other; GBs for SDXL at 1024²); without it each run gives them back, so a job's peak is its largest run's, not
 * their sum. No pre-packed weight copies for SD 1.x/2.x: measured on the 512 px UNet (`npm run bench -- memory`),
 * the step time is the same within noise and the session is made ~5 s sooner.
 */
function sessionMemory(kind: ModelKind): SessionMemory {
  return kind === 'sd' ? { arena: false, prepacking: false } : { arena: false };
}

async function openSession(pool: SessionPool, file: string, memory?: SessionMemory): Promise<ModelSession> {
  try {
    return await pool.get(file, memory);
  } catch (e) {
    if (e instanceof RpcError) throw e;
    throw modelError(file, `ONNX Runtime cannot load it: ${(e as Error).message.split('\n')[0]}`, 'a valid ONNX model');
  }
}
