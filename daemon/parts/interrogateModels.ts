// The interrogate and aesthetic-embedding networks of one daemon, loaded once per file: A1111's own files are built
// into ONNX graphs on first use (cached by hash, progress reported) and opened in the interrogate session pool that
// daemon/services.ts owns. A1111 unloads its interrogators after each request unless "keep models in memory" is
// set: `release()` does the same (the graphs stay in the disk cache, so a reload is quick).
import { networkOnnx, UnknownNetworkError, type NetworkSidecar } from '../../models/networkOnnx';
import { blipOnnx, clipTextOnnx } from '../../models/interrogateOnnx';
import { textTrainingOnnx } from '../../models/textTrainingCache';
import { readClipTextWeights } from '../../models/arch/clip/textWeights';
import { ArchError } from '../../models/arch/params';
import { netStateDict } from '../../models/formats/netStateDict';
import { openWeights } from '../../models/formats/open';
import { WeightsError } from '../../models/formats/tensorRecord';
import type { SessionPool } from '../../models/sessions';
import { modelError, notFound } from '../errors';
import { ClipTextTrainer } from './clipTextTrainer';
import { BlipPart, ClipTextPart, ClipVisionPart, TaggerPart } from './interrogators';

/** Progress while a graph is built (first use of a file). */
export type ReportStage = (message: string) => void;

export interface InterrogateModelsOptions {
  /** Graph cache folder (default: the user cache). */
  cacheDir?: string;
}

export class InterrogateModels {
  private readonly loaded = new Map<string, Promise<unknown>>();

  constructor(
    private readonly pool: SessionPool,
    private readonly o: InterrogateModelsOptions = {},
  ) {}

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    let p = this.loaded.get(key) as Promise<T> | undefined;
    if (!p) {
      p = load().catch((e: unknown) => {
        throw asModelError(e, key.slice(key.indexOf('|') + 1));
      });
      this.loaded.set(key, p);
      p.catch(() => this.loaded.delete(key));
    }
    return p;
  }

  private stage = (label: string, file: string, report?: ReportStage) => (s: string): void => report?.(`${label}: ${s} (${file}; first use, the graph is cached)`);

  clipVision(file: string, report?: ReportStage): Promise<ClipVisionPart> {
    return this.once(`vision|${file}`, async () => {
      const r = await networkOnnx(file, { expect: 'clip-vision', cacheDir: this.o.cacheDir, onStage: this.stage('CLIP image encoder', file, report) });
      const size = r.sidecar.input.shape[3];
      const session = await this.pool.get(r.modelPath);
      const dim = session.outputs.find((x) => x.name === 'image_embeds')?.shape[1];
      return new ClipVisionPart(session, typeof size === 'number' ? size : 224, typeof dim === 'number' ? dim : 0);
    });
  }

  clipText(file: string, report?: ReportStage): Promise<ClipTextPart> {
    return this.once(`text|${file}`, async () => {
      const r = await clipTextOnnx(file, { cacheDir: this.o.cacheDir, onStage: this.stage('CLIP text encoder', file, report) });
      return new ClipTextPart(await this.pool.get(r.models.text!), r.info.context, r.info.embedDim);
    });
  }

  blip(file: string, report?: ReportStage): Promise<BlipPart> {
    return this.once(`blip|${file}`, async () => {
      const r = await blipOnnx(file, { cacheDir: this.o.cacheDir, onStage: this.stage('BLIP', file, report) });
      return new BlipPart(await this.pool.get(r.models.encoder!), await this.pool.get(r.models.decoder!), r.info);
    });
  }

  deepbooru(file: string, report?: ReportStage): Promise<TaggerPart> {
    return this.once(`deepbooru|${file}`, async () => {
      const r = await networkOnnx(file, { expect: 'deepdanbooru', cacheDir: this.o.cacheDir, onStage: this.stage('DeepBooru', file, report) });
      const tags = (r.sidecar as NetworkSidecar).labels;
      if (!tags) throw modelError(file, 'has no tag list (the "tags" entry of model-resnet_custom_v3.pt, or a "tags" JSON in safetensors metadata)');
      return TaggerPart.open(await this.pool.get(r.modelPath), tags, 'deepdanbooru');
    });
  }

  /** A WD14 tagger export and its tag names (selected_tags.csv, read by the caller). */
  wd14(model: string, tags: readonly string[]): Promise<TaggerPart> {
    return this.once(`wd14|${model}`, async () => TaggerPart.open(await this.pool.get(model), tags, 'wd14'));
  }

  /** The aesthetic trainer over the CLIP file's text tower (weights read once into memory). */
  aestheticTrainer(file: string, report?: ReportStage): Promise<ClipTextTrainer> {
    return this.once(`trainer|${file}`, async () => {
      report?.(`aesthetic embedding: reading the CLIP text model (${file})`);
      const weights = await readClipTextWeights(netStateDict(await openWeights(file)));
      return new ClipTextTrainer(await this.pool.get(await textTrainingOnnx(weights.shape, this.o.cacheDir)), weights);
    });
  }

  /** Sessions closed and parts forgotten (A1111's interrogate unload). */
  async release(): Promise<void> {
    this.loaded.clear();
    await this.pool.disposeAll();
  }

  clear(): void {
    this.loaded.clear();
  }
}

function asModelError(e: unknown, file: string): unknown {
  if (e instanceof WeightsError && e.problem === 'file not found') return notFound(e.file, 'model file');
  if (e instanceof WeightsError || e instanceof UnknownNetworkError || e instanceof ArchError) return modelError(file, e.message.startsWith(file) ? e.message.slice(file.length + 2) : e.message);
  return e;
}
