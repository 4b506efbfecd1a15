import { SessionPool } from '../../models/sessions';
import { CancelledError, notFound, throwIfAborted } from '../errors';
import { findFixedModelFile, folderCandidates } from '../../models/registry';
import { DETECTOR_FILES, FaceDetector } from '../parts/faceDetector';
import { FaceRestorerModel, findRestorerModel } from '../parts/faceRestorer';
import type { RgbImage } from '../image/rgbImage';
import { alignFace } from './faces/align';
import { pasteFaces, type RestoredFace } from './faces/pasteBack';

/**
 * The seam between the extras pipeline and face restoration. The extras pipeline calls `restoreFaces` at A1111's
 * point (after the upscale). It runs facexlib's steps as A1111's restore_with_face_helper: detect → align to the
 * FFHQ template → restore each face → paste back with a feathered mask, then Image.blend with `visibility`.
 * `setFaceRestorer` replaces the built-in implementation (tests, or another backend).
 */
export interface FaceRestoreOptions { model: 'gfpgan' | 'codeformer'; visibility: number; codeformerWeight: number; modelsRoot: string }
/** Returns the image with every face restored at full strength; `restoreFaces` applies the visibility blend. */
export type FaceRestorer = (image: RgbImage, opts: FaceRestoreOptions, signal: AbortSignal) => Promise<RgbImage>;
let impl: FaceRestorer | undefined;
export function setFaceRestorer(f: FaceRestorer | undefined): void { impl = f; }

/** Where sessions come from and, optionally, which detector file to use (else it is looked up under modelsRoot). */
export interface FaceRestoreEnv {
  pool?: SessionPool;
  detectorPath?: string;
}
let env: FaceRestoreEnv = {};
let defaultPool: SessionPool | undefined;

/** The daemon passes its SessionPool here so restorer sessions share its provider settings and lifetime. */
export function configureFaceRestoration(e: FaceRestoreEnv): void { env = { ...e }; }

function pool(): SessionPool {
  return env.pool ?? (defaultPool ??= new SessionPool({ provider: 'cpu', threads: 0 }));
}

function detectorPath(modelsRoot: string): string {
  const p = env.detectorPath ?? process.env.SD_STUDIO_FACE_DETECTOR ?? findFixedModelFile(modelsRoot, 'faceDetector');
  if (p) return p;
  const where = modelsRoot ? folderCandidates(modelsRoot, 'faceDetector').join(', ') : 'modelsRoot (not set)';
  throw notFound(where, `face detector (${DETECTOR_FILES.join(' or ')}, Ultra-Light-Fast-Generic-Face-Detector, MIT)`);
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

/** Detect, align, restore and paste back every face; no blending. Exported for tests and the result image. */
export async function restoreAllFaces(image: RgbImage, opts: FaceRestoreOptions, signal?: AbortSignal): Promise<{ image: RgbImage; faces: number }> {
  const restorerPath = findRestorerModel(opts.modelsRoot, opts.model);
  const [detector, restorer] = await Promise.all([FaceDetector.open(pool(), detectorPath(opts.modelsRoot)), FaceRestorerModel.open(pool(), restorerPath, opts.model)]);
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

export async function restoreFaces(image: RgbImage, opts: FaceRestoreOptions, signal: AbortSignal): Promise<RgbImage> {
  // A1111 skips the restorer entirely at visibility 0, so the output is the input byte for byte.
  if (opts.visibility <= 0) return image;
  if (signal.aborted) throw new CancelledError();
  const res = impl ? await impl(image, opts, signal) : (await restoreAllFaces(image, opts, signal)).image;
  // postprocessing_gfpgan / _codeformer: `if visibility < 1.0: res = Image.blend(pp.image, res, visibility)`.
  return opts.visibility < 1 ? blendImages(image, res, opts.visibility) : res;
}
