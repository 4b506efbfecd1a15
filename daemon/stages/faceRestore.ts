import type { RgbImage } from '../image/rgbImage';

/**
 * The seam between the extras pipeline and face restoration. The extras pipeline calls `restoreFaces`
 * at A1111's point (after the upscale); the face-restoration code registers itself with
 * `setFaceRestorer`, so extras does not depend on how faces are found and restored.
 */
export interface FaceRestoreOptions { model: 'gfpgan' | 'codeformer'; visibility: number; codeformerWeight: number; modelsRoot: string }
export type FaceRestorer = (image: RgbImage, opts: FaceRestoreOptions, signal: AbortSignal) => Promise<RgbImage>;
let impl: FaceRestorer | undefined;
export function setFaceRestorer(f: FaceRestorer): void { impl = f; }
export async function restoreFaces(image: RgbImage, opts: FaceRestoreOptions, signal: AbortSignal): Promise<RgbImage> {
  // A1111 skips the restorer entirely at visibility 0, so the output is the input byte for byte.
  if (opts.visibility <= 0) return image;
  if (!impl) throw new Error(`face restoration (${opts.model}) is not available in this build`);
  return impl(image, opts, signal);
}
