// Face restoration as A1111's modules/face_restoration_utils.py: restore_with_face_helper runs facexlib's
// FaceRestoreHelper: detect (RetinaFace, landmarks) → align each face to the FFHQ 512 template → restore it →
// paste back (with the parsing network's face mask where parsing_parsenet.pth is there, use_parse=True), then the
// Extras scripts blend with `visibility` (postprocessing_gfpgan / _codeformer). The extras pipeline calls
// `restore` at A1111's point (after the upscale), img2img's "Restore faces" on each decoded image.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeNewFileSync } from '../../models/formats/atomicFile';
import type { SessionPool } from '../../models/sessions';
import { CancelledError, throwIfAborted } from '../errors';
import { encodePng } from '../image/encode';
import type { RgbImage } from '../image/rgbImage';
import { FaceModels, type FaceHooks, type FaceModelsOptions } from '../parts/faceModels';
import { alignFace } from './faces/align';
import { parseMask } from './faces/parseMask';
import { pasteFaces, type RestoredFace } from './faces/pasteBack';

export type { FaceHooks } from '../parts/faceModels';

/** Which restorer, how strongly, and where its files are. */
export interface FaceRestoreOptions {
  model: 'gfpgan' | 'codeformer';
  visibility: number;
  /** CodeFormer's w: 0 = strongest restoration, 1 = closest to the input. */
  codeformerWeight: number;
  modelsRoot: string;
  /** Debug: write each aligned crop and its restored face here (facexlib's save_cropped_path). */
  debugDir?: string;
}

/** What the pipelines call; another backend or a test may stand in. */
export interface FaceRestorer {
  restore(image: RgbImage, opts: FaceRestoreOptions, signal: AbortSignal, hooks?: FaceHooks): Promise<RgbImage>;
  /** Throws the error `restore` would for missing model files, so a job can refuse before it generates. */
  ensureAvailable?(model: FaceRestoreOptions['model'], modelsRoot: string): void;
}

/** One restored face: where it was found and how it went back (for debugging and tests). */
export interface FaceTrace {
  box: [number, number, number, number];
  landmarks: Float64Array;
  /** Crop → image. */
  inverse: Float64Array;
  /** The parse mask in crop coordinates, when pasted with one. */
  mask?: Float32Array;
}

export interface FacesRestored {
  image: RgbImage;
  faces: number;
  trace: FaceTrace[];
  /** Landmark-aligned (RetinaFace) or box-aligned (fallback detector). */
  precise: boolean;
  /** Pasted with the parsing network's mask. */
  parsed: boolean;
}

async function writeDebug(dir: string, name: string, img: RgbImage): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  const png = await encodePng(img);
  // A rerun into the same folder gets numbered names instead of replacing earlier crops.
  for (let n = 0; !writeNewFileSync(n ? path.replace(/\.png$/, `-${n}.png`) : path, png); n++);
}

/** The face parts come from FaceModels on the face pool daemon/services.ts gives. */
export class FaceRestoration implements FaceRestorer {
  private readonly models: FaceModels;

  constructor(pool: SessionPool, o: FaceModelsOptions = {}) {
    this.models = new FaceModels(pool, o);
  }

  /** Detect, align, restore and paste back every face, at full strength. */
  async restoreAll(image: RgbImage, opts: FaceRestoreOptions, signal?: AbortSignal, hooks: FaceHooks = {}): Promise<FacesRestored> {
    const [detector, restorer, parser] = await Promise.all([
      this.models.detector(opts.modelsRoot, hooks),
      this.models.restorer(opts.modelsRoot, opts.model, hooks),
      this.models.parser(opts.modelsRoot, hooks),
    ]);
    throwIfAborted(signal);
    const faces = await detector.detect(image);
    const restored: RestoredFace[] = [];
    const trace: FaceTrace[] = [];
    for (const [i, f] of faces.entries()) {
      throwIfAborted(signal);
      hooks.report?.(`${opts.model === 'gfpgan' ? 'GFPGAN' : 'CodeFormer'}: face ${i + 1}/${faces.length}`);
      const aligned = alignFace(image, f.landmarks, restorer.size);
      const face = await restorer.restore(aligned.face, opts.codeformerWeight);
      const mask = parser ? parseMask(await parser.classes(face), face.width) : undefined;
      if (opts.debugDir) {
        const tag = `${opts.model}-${String(i).padStart(2, '0')}`;
        await writeDebug(opts.debugDir, `${tag}-aligned.png`, aligned.face);
        await writeDebug(opts.debugDir, `${tag}-restored.png`, face);
      }
      restored.push({ face, inverse: aligned.inverse, ...(mask ? { mask } : {}) });
      trace.push({ box: f.box, landmarks: f.landmarks, inverse: aligned.inverse, ...(mask ? { mask } : {}) });
    }
    throwIfAborted(signal);
    return { image: pasteFaces(image, restored), faces: faces.length, trace, precise: detector.precise, parsed: parser !== undefined };
  }

  ensureAvailable(model: FaceRestoreOptions['model'], modelsRoot: string): void {
    this.models.ensureFiles(modelsRoot, model);
  }

  async restore(image: RgbImage, opts: FaceRestoreOptions, signal: AbortSignal, hooks: FaceHooks = {}): Promise<RgbImage> {
    // A1111 skips the restorer entirely at visibility 0, so the output is the input byte for byte.
    if (opts.visibility <= 0) return image;
    if (signal.aborted) throw new CancelledError();
    const res = (await this.restoreAll(image, opts, signal, hooks)).image;
    // postprocessing_gfpgan / _codeformer: `if visibility < 1.0: res = Image.blend(pp.image, res, visibility)`.
    return opts.visibility < 1 ? blendImages(image, res, opts.visibility) : res;
  }

  /** Forgets loaded parts (the pool's owner releases the sessions). */
  clear(): void {
    this.models.clear();
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
