// The face-restoration parts of one models root, loaded once and kept: the restorers (GFPGAN, CodeFormer), the
// detector (RetinaFace from facexlib's .pth, else the Ultra-Light ONNX fallback) and the parser. A1111's own
// `.pth` files are built into ONNX graphs on first use (models/networkOnnx.ts, cached by hash) with progress;
// ONNX exports are used as they are. Sessions come from the face pool daemon/services.ts owns.
import { extname } from 'node:path';
import { networkOnnx, UnknownNetworkError, type NetworkBuildOptions } from '../../models/networkOnnx';
import { findFixedModelFile, fixedFileNames, folderCandidates } from '../../models/registry';
import type { SessionPool } from '../../models/sessions';
import { WeightsError } from '../../models/formats/tensorRecord';
import { ArchError } from '../../models/arch/params';
import { modelError, notFound } from '../errors';
import { FACE_DETECTOR_FALLBACK_NOTICE, FaceDetector, DETECTOR_FILES, type DetectedFace } from './faceDetector';
import { FaceParser } from './faceParser';
import { FaceRestorerModel, findRestorerModel, type FaceRestorerKind } from './faceRestorer';
import { RetinaFaceDetector } from './retinaFaceDetector';
import type { RgbImage } from '../image/rgbImage';

/** What a face stage tells its job: progress while a graph is built, and notices for the result. */
export interface FaceHooks {
  report?: (message: string) => void;
  notice?: (message: string) => void;
}

/** Either detector, as the face stage uses it. */
export interface FaceFinder {
  /** True when landmarks come from the network (RetinaFace), false when estimated from the box (ULFD). */
  readonly precise: boolean;
  detect(img: RgbImage): Promise<DetectedFace[]>;
}

export interface FaceModelsOptions {
  /** Network graph cache folder (default: the user cache). */
  cacheDir?: string;
  /** Use this detector file instead of looking under the models root (tests). */
  detectorPath?: string;
}

export class FaceModels {
  private readonly loaded = new Map<string, Promise<unknown>>();

  constructor(
    private readonly pool: SessionPool,
    private readonly o: FaceModelsOptions = {},
  ) {}

  private sessions(): SessionPool {
    return this.pool;
  }

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    let p = this.loaded.get(key) as Promise<T> | undefined;
    if (!p) {
      p = load();
      this.loaded.set(key, p);
      p.catch(() => this.loaded.delete(key));
    }
    return p;
  }

  /** The ONNX to run for a file: itself, or the graph built from its weights (reported as it is built). */
  private async onnxFor(file: string, expect: NetworkBuildOptions['expect'], hooks: FaceHooks, label: string): Promise<string> {
    if (extname(file).toLowerCase() === '.onnx') return file;
    try {
      const r = await networkOnnx(file, {
        expect, cacheDir: this.o.cacheDir,
        onStage: (s) => hooks.report?.(`${label}: ${s} (${file}; first use, the graph is cached)`),
      });
      return r.modelPath;
    } catch (e) {
      if (e instanceof WeightsError && e.problem === 'file not found') throw notFound(file, label);
      if (e instanceof WeightsError || e instanceof UnknownNetworkError || e instanceof ArchError) throw modelError(file, e.message.startsWith(file) ? e.message.slice(file.length + 2) : e.message);
      throw e;
    }
  }

  restorer(modelsRoot: string, kind: FaceRestorerKind, hooks: FaceHooks = {}): Promise<FaceRestorerModel> {
    const file = findRestorerModel(modelsRoot, kind);
    return this.once(`restorer|${file}`, async () => FaceRestorerModel.open(this.sessions(), await this.onnxFor(file, kind, hooks, kind === 'gfpgan' ? 'GFPGAN' : 'CodeFormer'), kind));
  }

  /** The detector file to use: facexlib's RetinaFace (A1111's), else an Ultra-Light ONNX; NotFound naming both. */
  private detectorFile(modelsRoot: string): { retina: boolean; file: string } {
    const retina = this.o.detectorPath === undefined ? findFixedModelFile(modelsRoot, 'retinaFace') : undefined;
    if (retina) return { retina: true, file: retina };
    const ulfd = this.o.detectorPath ?? process.env.SD_STUDIO_FACE_DETECTOR ?? findFixedModelFile(modelsRoot, 'faceDetector');
    if (ulfd) return { retina: false, file: ulfd };
    const where = modelsRoot ? [...new Set([...folderCandidates(modelsRoot, 'retinaFace'), ...folderCandidates(modelsRoot, 'faceDetector')])].join(', ') : 'modelsRoot (not set)';
    const retinaName = fixedFileNames('retinaFace').join(' or ');
    throw notFound(where, `face detector (${retinaName}, facexlib's RetinaFace; or ${DETECTOR_FILES.join(' or ')}, Ultra-Light-Fast-Generic-Face-Detector, MIT)`);
  }

  /** Throws what `restorer` / `detector` would, before a job spends time generating (files only; nothing loads). */
  ensureFiles(modelsRoot: string, kind: FaceRestorerKind): void {
    findRestorerModel(modelsRoot, kind);
    this.detectorFile(modelsRoot);
  }

  /** RetinaFace when facexlib's detector file is there (A1111's detector), else the Ultra-Light ONNX with a notice. */
  detector(modelsRoot: string, hooks: FaceHooks = {}): Promise<FaceFinder> {
    let found: { retina: boolean; file: string };
    try {
      found = this.detectorFile(modelsRoot);
    } catch (e) {
      return Promise.reject(e);
    }
    const { retina, file } = found;
    if (retina) {
      return this.once(`retina|${file}`, async () => new RetinaFaceDetector(await this.sessions().get(await this.onnxFor(file, 'retinaface', hooks, 'RetinaFace'))));
    }
    const ulfd = file;
    hooks.notice?.(FACE_DETECTOR_FALLBACK_NOTICE);
    return this.once(`ulfd|${ulfd}`, async () => {
      const d = await FaceDetector.open(this.sessions(), ulfd);
      return { precise: false, detect: (img: RgbImage) => d.detect(img) };
    });
  }

  /** The parser when `parsing_parsenet.pth` is there (A1111 pastes with it), else undefined (feathered square). */
  async parser(modelsRoot: string, hooks: FaceHooks = {}): Promise<FaceParser | undefined> {
    const file = findFixedModelFile(modelsRoot, 'faceParser');
    if (!file) return undefined;
    return this.once(`parse|${file}`, async () => new FaceParser(await this.sessions().get(await this.onnxFor(file, 'parsenet', hooks, 'face parser'))));
  }

  /** Forgets the loaded parts (their sessions belong to the pool, which its owner disposes). */
  clear(): void {
    this.loaded.clear();
  }
}
