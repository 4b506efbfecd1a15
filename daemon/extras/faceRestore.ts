import type { SessionPool } from '../../models/sessions';
import { CancelledError, notFound, throwIfAborted } from '../errors';
import { findFixedModelFile, folderCandidates } from '../../models/registry';
import { DETECTOR_FILES, FaceDetector } from '../parts/faceDetector';
import { FaceRestorerModel, findRestorerModel } from '../parts/faceRestorer';
import type { RgbImage } from '../image/rgbImage';
import { alignFace } from './faces/align';
import { pasteFaces, type RestoredFace } from './faces/pasteBack';

/** Which restorer, how strongly, and where its files are. */
export interface FaceRestoreOptions { model: 'gfpgan' | 'codeformer'; visibility: number; codeformerWeight: number; modelsRoot: string }

/** What the extras pipeline calls at A1111's point (after the upscale); another backend or a test may stand in. */
export interface FaceRestorer {
  restore(image: RgbImage, opts: FaceRestoreOptions, signal: AbortSignal): Promise<RgbImage>;
}

/**
 * Face restoration as A1111's restore_with_face_helper runs facexlib's steps: detect → align to the FFHQ template
 * → restore each face → paste back with a feathered mask, then Image.blend with `visibility`. Sessions come from
 * the face pool daemon/services.ts gives it; the detector file is `detectorPath`, else $SD_STUDIO_FACE_DETECTOR,
 * else looked up under the models root (models/registry.ts).
 */
export class FaceRestoration implements FaceRestorer {
  constructor(
    private readonly pool: SessionPool,
    private readonly detectorPath?: string,
  ) {}

  private detector(modelsRoot: string): string {
    const p = this.detectorPath ?? process.env.SD_STUDIO_FACE_DETECTOR ?? findFixedModelFile(modelsRoot, 'faceDetector');
    if (p) return p;
    const where = modelsRoot ? folderCandidates(modelsRoot, 'faceDetector').join(', ') : 'modelsRoot (not set)';
    throw notFound(where, `face detector (${DETECTOR_FILES.join(' or ')}, Ultra-Light-Fast-Generic-Face-Detector, MIT)`);
  }

  /** Detect, align, restore and paste back every face; no blending (the result image and tests use it). */
  async restoreAll(image: RgbImage, opts: FaceRestoreOptions, signal?: AbortSignal): Promise<{ image: RgbImage; faces: number }> {
    const restorerPath = findRestorerModel(opts.modelsRoot, opts.model);
    const [detector, restorer] = await Promise.all([FaceDetector.open(this.pool, this.detector(opts.modelsRoot)), FaceRestorerModel.open(this.pool, restorerPath, opts.model)]);
    throwIfAborted(signal);
    const faces = await detector.detect(image);
    const restored: RestoredFace[] = [];
    for (const f of faces) {
      throwIfAborted(signal);
      const aligned = alignFace(image, f.landmarks, restorer.size);
      restored.push({ face: await restorer.restore(aligned.face, opts.codeformerWeight), inverse: aligned.inverse });
    }
    throwIfAborted(signal);
    return { image: pasteFaces(image, restored), faces: faces.length };
  }

  async restore(image: RgbImage, opts: FaceRestoreOptions, signal: AbortSignal): Promise<RgbImage> {
    // A1111 skips the restorer entirely at visibility 0, so the output is the input byte for byte.
    if (opts.visibility <= 0) return image;
    if (signal.aborted) throw new CancelledError();
    const res = (await this.restoreAll(image, opts, signal)).image;
    // postprocessing_gfpgan / _codeformer: `if visibility < 1.0: res = Image.blend(pp.image, res, visibility)`.
    return opts.visibility < 1 ? blendImages(image, res, opts.visibility) : res;
  }
}

/** PIL Image.blend(a, b, alpha) on uint8: a + alpha·(b − a) in float, truncated (Pillow's Blend.c). */
export function blendImages(a: RgbImage, b: RgbImage, alpha: number): RgbImage {
  const out = new Uint8Array(a.data.length);
  const al = Math.fround(alpha);
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < out.length; i++) {
    const v = x[i]! + al * (y[i]! - x[i]!);
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  return { data: out, width: a.width, height: a.height };
}
