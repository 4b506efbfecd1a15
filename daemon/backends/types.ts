import type { JobContext } from '../jobs';
import type { RemoteExtras } from '../pipelines/extras';
import type { BackendConfig, DaemonSettings, GenerationResult, Img2ImgParams } from '../protocol';

/** A remote engine the job queue can send generation jobs to. */
export interface RemoteBackend {
  readonly config: BackendConfig;
  /** Checkpoint names the engine offers; throws BackendLostError when it cannot be reached. */
  listModels(): Promise<string[]>;
  /**
   * Run one `sd/img2img` job there: progress, previews, Skip and cancel forwarded; results saved here as a local
   * job saves them. Throws BackendLostError when the engine goes away (the queue retries the job elsewhere).
   */
  generate(params: Img2ImgParams, job: JobContext, settings: DaemonSettings): Promise<GenerationResult>;
  /** The engine's upscalers and face restorers, for extras jobs sent to it. */
  readonly extras: RemoteExtras;
  dispose(): void;
}

/** The part of a model name engines agree on: file name without folders, extension or " [hash]". */
export function modelKey(name: string): string {
  return name
    .replace(/\s*\[[0-9a-f]{8,64}\]$/i, '')
    .split(/[\\/]/)
    .pop()!
    .replace(/\.(safetensors|ckpt|pt|pth|bin|onnx)$/i, '')
    .toLowerCase();
}

/** Poll a remote's progress this often while a job runs. */
export const POLL_MS = 400;
