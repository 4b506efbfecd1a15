// Every long-lived resource of the daemon, created here and nowhere else, released by one dispose() at shutdown:
// the ONNX Runtime session pools (one per model family, so switching SD models never drops the upscaler's), the
// loaded SD model, the upscaler networks, face restoration, the TAESD preview decoder, the image-metadata worker
// thread, and the caches several requests share (tokenizers, embedding databases, the language server's file index
// and hover hashes). Handlers
// receive this object; stages and pipelines get the one piece they need as an argument.
import { SessionPool, type SessionSettings } from '../models/sessions';
import { EmbeddingDatabases } from './modelFiles/embeddings';
import { FaceRestoration } from './extras/faceRestore';
import { HoverHashes } from './language/index';
import { NetworkIndexCache } from './language/modelFolders';
import { ModelManager } from './parts/sdModel';
import { UpscalerModels } from './parts/upscaler';
import { TokenizerStore } from './prompt/tokenizerStore';
import type { DaemonSettings } from './protocol';
import { physicalCores } from './settings';
import { TaesdDecoders } from './parts/taesd';
import { InterrogateModels } from './parts/interrogateModels';
import { ImageInfoReader } from './infotext/infoWorker';

export class Services {
  readonly tokenizers = new TokenizerStore();
  readonly embeddings = new EmbeddingDatabases();
  readonly networks = new NetworkIndexCache();
  readonly hoverHashes = new HoverHashes();
  /** Image metadata read in a worker thread, off the event loop. */
  readonly infoReader = new ImageInfoReader();
  /** The SD model in use (text encoder, UNet, VAE): GBs, one at a time. */
  readonly models: ModelManager;
  readonly upscalers: UpscalerModels;
  readonly faces: FaceRestoration;
  readonly taesd: TaesdDecoders;
  /** Interrogate (BLIP, CLIP, DeepBooru, WD14) and the aesthetic CLIP: their own pool, released after each job unless kept. */
  readonly interrogate: InterrogateModels;
  private readonly pools: SessionPool[];

  /**
   * `settings`: the settings in force (read when a session is made: provider and threads need a daemon restart
   * to change, and the client sends them at initialize, after the handlers are registered).
   */
  constructor(settings: () => DaemonSettings, warn: (message: string) => void) {
    const pool = (threads: (s: DaemonSettings) => number): SessionPool =>
      new SessionPool((): SessionSettings => ({ provider: settings().executionProvider, threads: threads(settings()) }), warn);
    // ONNX Runtime picks its own thread count for upscalers (0); the rest use the physical cores when unset.
    const cores = (s: DaemonSettings): number => s.threads || physicalCores();
    const sd = pool(cores);
    const upscaler = pool((s) => s.threads);
    const faces = pool(cores);
    const taesd = pool(cores);
    const interrogate = pool(cores);
    this.pools = [sd, upscaler, faces, taesd, interrogate];
    this.models = new ModelManager(sd, this.tokenizers, () => settings().cacheLimitGB * 2 ** 30, warn);
    this.upscalers = new UpscalerModels(upscaler);
    this.faces = new FaceRestoration(faces);
    this.taesd = new TaesdDecoders(taesd);
    this.interrogate = new InterrogateModels(interrogate);
  }

  /** Releases every session and empties every cache (daemon shutdown). */
  async dispose(): Promise<void> {
    await Promise.all([this.models.dispose(), this.upscalers.dispose(), this.infoReader.dispose()]);
    this.taesd.clear();
    this.faces.clear();
    this.interrogate.clear();
    await Promise.all(this.pools.map((p) => p.disposeAll()));
    this.tokenizers.clear();
    this.embeddings.clear();
    this.networks.clear();
    this.hoverHashes.clear();
  }
}
