import { encodeImageAs, encodePng, type EncodeOptions, type ImageFormat } from '../image/encode';
import type { RgbImage } from '../image/rgbImage';
import { withPngText } from '../infotext/pngChunks';
import { jpegWithUserComment, webpWithUserComment } from '../infotext/writeInfo';
import type { FilenameContext } from './filenames';
import { saveImage, type SaveNaming, type SaveTarget } from './save';
import type { GeneratedImage } from '../protocol';
import { seedJson } from '../seed';

export interface ImageOutput {
  /** Where to save (undefined: not saved, A1111 API `save_images: false`). */
  target?: SaveTarget;
  /** Return the PNG bytes in the result (A1111 API `send_images`). */
  send: boolean;
  /** The saved file's format (PNG when absent) and its encoder settings. */
  format?: ImageFormat;
  encode?: EncodeOptions;
  /** Basename, suffix, short names and the `.txt` sidecar. */
  naming?: Omit<SaveNaming, 'sidecar'> & { saveTxt?: boolean };
}

/**
 * The bytes A1111's `save_image_with_geninfo` writes: PNG with a "parameters" text chunk; JPEG/WebP with an EXIF
 * block holding only UserComment. JPEG beyond 65535 px or WebP beyond 16383 px falls back to PNG, as in A1111.
 */
export async function imageFileBytes(img: RgbImage, infotext: string, format: ImageFormat, o: EncodeOptions): Promise<{ bytes: Uint8Array; ext: string }> {
  const tooBig = (format === 'jpg' && Math.max(img.width, img.height) > 65535) || (format === 'webp' && Math.max(img.width, img.height) > 16383);
  const f = tooBig ? 'png' : format;
  const raw = await encodeImageAs(img, f, o);
  if (f === 'png') return { bytes: withPngText(raw, [['parameters', infotext]]), ext: 'png' };
  return { bytes: f === 'jpg' ? jpegWithUserComment(raw, infotext) : webpWithUserComment(raw, infotext), ext: f };
}

/**
 * One finished image, saved atomically under A1111's names (never over an existing file) in the chosen format,
 * with its infotext and optional `.txt` sidecar, and/or returned inline as PNG.
 */
export async function writeImage(img: RgbImage, seed: bigint, infotext: string, names: Omit<FilenameContext, 'width' | 'height'>, out: ImageOutput): Promise<GeneratedImage> {
  const image: GeneratedImage = { seed: seedJson(seed), width: img.width, height: img.height, infotext };
  const png = out.send || !out.format || out.format === 'png' ? withPngText(await encodePng(img), [['parameters', infotext]]) : undefined;
  if (out.target) {
    const file = png && (!out.format || out.format === 'png') ? { bytes: png, ext: 'png' } : await imageFileBytes(img, infotext, out.format!, out.encode ?? { quality: 80, webpLossless: false });
    const { saveTxt, ...naming } = out.naming ?? {};
    image.path = saveImage(out.target, { ...names, width: img.width, height: img.height, pixels: img.data }, file.bytes, file.ext, { ...naming, ...(saveTxt ? { sidecar: infotext } : {}) });
  }
  if (out.send && png) image.png = Buffer.from(png).toString('base64');
  return image;
}
