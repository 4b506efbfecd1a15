import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { imageError, notFound } from '../errors';
import type { ImageRef } from '../protocol';
import type { RgbImage } from './rgbImage';

/** Where an ImageRef came from, for error messages ("init_images[0]" for inline data). */
export interface LoadedBytes {
  bytes: Buffer;
  label: string;
}

const DATA_URL = /^data:image\/[a-z0-9.+-]+;base64,/i;
const BASE64 = /^[A-Za-z0-9+/\s]+={0,2}$/;

/** Resolve an ImageRef (path, data: URL or bare base64, as A1111's API accepts) to bytes. */
export function readImageRef(ref: ImageRef, field: string): LoadedBytes {
  if (DATA_URL.test(ref)) return { bytes: Buffer.from(ref.replace(DATA_URL, ''), 'base64'), label: field };
  // A long string of base64 characters with no path separator is inline data, not a file name.
  if (ref.length > 256 && !ref.includes('/') && BASE64.test(ref)) return { bytes: Buffer.from(ref, 'base64'), label: field };
  const path = resolve(ref);
  if (!existsSync(path)) throw notFound(path, `${field}: image file`);
  if (statSync(path).isDirectory()) throw imageError(path, `${field} is a folder, not an image file`);
  return { bytes: readFileSync(path), label: path };
}

/**
 * Decode to 8-bit RGB as A1111 prepares inputs: EXIF orientation applied, alpha composited over white
 * (`images.flatten` with the default background). Truncated or non-image data is an error, never a partial image.
 */
export async function decodeImage(src: LoadedBytes): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(src.bytes, { failOn: 'truncated' })
      .rotate()
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0] ?? 'unreadable';
    const why = /unsupported image format|Input buffer contains unsupported/i.test(msg) ? 'not an image (unsupported or unknown format)' : `cannot decode the image: ${msg}`;
    throw imageError(src.label, why);
  }
}

export async function loadImage(ref: ImageRef, field: string): Promise<RgbImage> {
  return decodeImage(readImageRef(ref, field));
}
