// The messages between a panel's webview and its host (extension/panels/webviewHost.ts). Types only, no DOM and
// no Node, so both sides import it: the webview bundles nothing from here, the extension reads only types.
// Webview → host: `ready`, then `request`s (intents) with ids; host → webview: `init` (after ready), `reply`
// (to a request id), and pushed events (progress, preview, seed, result).
import type {
  AestheticListResult, ExtrasParams, GeneratedImage, Img2ImgParams, JobProgressNotification, ModelsInfoResult, ModelsMergeParams, ModelsMergeResult, OutpaintParams, PngInfo,
  PromptDiagnosticInfo, PromptMatrixParams, PromptsFromFileParams, PromptStyleInfo, SamplersListResult, StylesListResult, UpscalersListResult,
  XyzAxisInfo, XyzParams,
} from '../../daemon/protocol';

export type PanelKind = 'img2img' | 'inpaint' | 'extras' | 'pngInfo' | 'merger' | 'preview';

/**
 * An image as a webview may see it: `src` is a webview URI (files inside the allowed roots) or a data URL (bytes
 * from elsewhere); `path` is present only for files inside the workspace, output or model folders.
 */
export interface ImageView {
  name: string;
  src: string;
  path?: string;
  width?: number;
  height?: number;
}

/** A generated image as the gallery shows it. */
export interface ResultView {
  image: ImageView;
  /** Beyond 2^53 a decimal string (protocol SeedJson). */
  seed: number | string;
  infotext: string;
  /** The backend that made it, when not this machine ("gpu-box"). */
  backend?: string;
  /** A grid of the job's images (A1111 shows it first in the gallery), not an image of its own. */
  grid?: boolean;
}

/** An image the webview hands to the host: one it got from the host (by src/path) or bytes it read itself. */
export type ImageInput = { view: ImageView } | { bytes: ArrayBuffer; mime: string; name: string };

export type SendTarget = 'img2img' | 'inpaint' | 'extras';

/** Inpaint fields of Img2ImgParams (A1111 names, the protocol's types); the mask itself travels as `mask` below. */
export type InpaintOptions = Pick<Img2ImgParams, 'mask_blur' | 'inpainting_fill' | 'inpaint_full_res' | 'inpaint_full_res_padding' | 'inpainting_mask_invert'>;

/**
 * Outpainting (A1111's Poor man's outpainting / Outpainting mk2 scripts): the daemon grows the canvas and builds
 * the mask (`sd/outpaint`), so the webview sends only the script's options.
 */
export type OutpaintOptions = Pick<OutpaintParams, 'outpaint_method' | 'pixels' | 'directions' | 'color_variation'>;

/**
 * A new generation's settings from `sdStudio.default*` and `sdStudio.maskBlur`, sent in the panel's `init`: the
 * extension owns them, the webview only shows them (a panel restored from its state keeps its own values).
 */
export type GenerationDefaults = Pick<Img2ImgParams, 'sampler_name' | 'scheduler' | 'steps' | 'cfg_scale' | 'denoising_strength' | 'mask_blur'>;

/** The Script dropdown's choice: the script's own options; the host adds the job's params. */
export type ScriptOptions =
  | ({ kind: 'xyz' } & Omit<XyzParams, 'params' | 'jobId' | 'workDoneToken'>)
  | ({ kind: 'promptMatrix' } & Omit<PromptMatrixParams, 'params' | 'jobId' | 'workDoneToken'>)
  | ({ kind: 'promptsFromFile' } & Omit<PromptsFromFileParams, 'params' | 'jobId' | 'workDoneToken'>);

/** The Extras form: `sd/extras` params (ExtrasParams) less the inputs, which the host fills from `mode`. */
export type ExtrasOptionKey =
  | 'resize_mode' | 'upscaling_resize' | 'upscaling_resize_w' | 'upscaling_resize_h' | 'upscaling_crop' | 'max_side_length'
  | 'upscaler_1' | 'upscaler_2' | 'extras_upscaler_2_visibility' | 'gfpgan_visibility' | 'codeformer_visibility' | 'codeformer_weight';
export type ExtrasOptions = Pick<ExtrasParams, ExtrasOptionKey> & { mode: 'single' | 'batch' | 'folder' };

export interface PromptStats {
  tokenCount: number | null;
  chunks: number;
  diagnostics: PromptDiagnosticInfo[];
}

/** Intents a webview sends; the host answers each with a reply carrying `result`. */
export interface HostOps {
  samplers: { args: Record<string, never>; result: SamplersListResult };
  /** The configured model's family and default size, and the checkpoints a refiner can be (`models/info`). */
  modelInfo: { args: Record<string, never>; result: ModelsInfoResult };
  upscalers: { args: Record<string, never>; result: UpscalersListResult };
  inspectPrompt: { args: { text: string; negative: boolean; steps?: number }; result: PromptStats };
  pickImages: { args: { many: boolean; folder?: boolean }; result: ImageView[] };
  activeEditorImage: { args: Record<string, never>; result: ImageView | null };
  styles: { args: Record<string, never>; result: StylesListResult };
  saveStyle: { args: { style: PromptStyleInfo }; result: StylesListResult };
  applyStyles: { args: { prompt: string; negative_prompt: string; styles: string[] }; result: { prompt: string; negative_prompt: string } };
  xyzAxes: { args: Record<string, never>; result: { axes: XyzAxisInfo[] } };
  generate: {
    args: { params: Img2ImgParams; init?: ImageInput; mask?: ImageInput; inpaint?: InpaintOptions; outpaint?: OutpaintOptions; script?: ScriptOptions };
    /** `warnings`: what the job skipped and went on without (an unreadable embedding or LoRA file, ...). */
    result: { jobId: string; results: ResultView[]; warnings?: string[] } | null;
  };
  cancel: { args: { jobId: string }; result: void };
  /** A1111's Skip (`sd/job.skip`): end the current batch of a running job, keep its images, go on with the next. */
  skip: { args: { jobId: string }; result: void };
  extras: {
    args: { options: ExtrasOptions; images: ImageInput[]; folder?: string };
    /** `after[i]` is the result of `before[i]`; inputs that failed are listed in `errors` (the batch goes on). */
    result: { jobId: string; before: ImageView[]; after: ImageView[]; errors: string[] } | null;
  };
  sendTo: { args: { target: SendTarget; image: ImageView; infotext?: string }; result: void };
  saveSpec: { args: { infotext: string; image?: ImageView }; result: string | null };
  openImage: { args: { image: ImageView }; result: void };
  openPngInfo: { args: { image: ImageView }; result: void };
  reveal: { args: { image: ImageView }; result: void };
  copy: { args: { text: string }; result: void };
  pickModel: { args: { slot: 'primary' | 'secondary' | 'tertiary' | 'bakeVae' | 'out' }; result: string | null };
  merge: { args: { params: ModelsMergeParams }; result: ModelsMergeResult | null };
  /** 📎 / 📦: describe an image (`sd/interrogate` with the sdStudio.interrogate.* settings); null when cancelled. */
  interrogate: { args: { image: ImageInput; method: 'clip' | 'deepbooru' }; result: { caption: string } | null };
  /** The models root's aesthetic embeddings (`sd/aesthetic.list`). */
  aestheticEmbeddings: { args: Record<string, never>; result: AestheticListResult };
}
export type HostOp = keyof HostOps;

/** What the PNG info editor shows. */
export interface PngInfoView {
  image: ImageView;
  info: PngInfo;
  hasParams: boolean;
  /** Settings send-to cannot apply (an unknown sampler, ...), from `sd/pngInfo.read`'s warnings; null when none. */
  warning: string | null;
  /** The A1111 infotext of its settings (for "Copy infotext" / "Save .sdprompt"), or null when it has none. */
  infotext: string | null;
  /** The A1111 sampler and schedule type send-to uses for the image's own names (absent: none, or unmapped). */
  a1111: { sampler?: string; scheduleType?: string };
}

/** What a panel is opened with (send-to, "Regenerate from image…", reload). */
export interface SeedView {
  image?: ImageView;
  mask?: ImageView;
  params?: Img2ImgParams;
}

export interface PreviewState {
  file: string;
  /** The .sdprompt file's URI (inside the workspace), kept in the webview state so a reload restores the panel. */
  uri?: string;
  specIndex: number;
  running: boolean;
  live?: { src: string; step: number; image: number };
  latest?: ResultView;
  history: ResultView[];
}

export type WebviewMessage =
  | { type: 'ready' }
  | { [K in HostOp]: { type: 'request'; id: number; op: K; args: HostOps[K]['args'] } }[HostOp];

export type HostMessage =
  | { type: 'init'; panel: PanelKind; seed?: SeedView; pngInfo?: PngInfoView; preview?: PreviewState; defaults?: GenerationDefaults; error?: string; daemonRunning: boolean }
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string }
  | { type: 'progress'; progress: JobProgressNotification }
  | { type: 'livePreview'; jobId: string; image: number; step: number; src: string }
  | { type: 'seed'; seed: SeedView }
  | { type: 'preview'; preview: PreviewState }
  | { type: 'daemon'; running: boolean };

/** Narrowing helper for the host's handler table. */
export type GeneratedImageLike = Pick<GeneratedImage, 'path' | 'png' | 'seed' | 'infotext' | 'width' | 'height'>;
