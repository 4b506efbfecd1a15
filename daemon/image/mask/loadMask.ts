// Masks in (A1111 `modules/processing.py: create_binary_mask`): an uploaded mask image of any size (white = inpaint), a
// painted mask sent as PNG bytes (strokes opaque on transparent), or the transparent part of the source image itself.
import sharp from 'sharp';
import { readImageRef } from '../decode';
import { imageError } from '../../errors';
import type { ImageRef } from '../../protocol';
import type { GrayImage } from './gray';

interface Rgba {
  data: Uint8Array;
  width: number;
  height: number;
}

async function decodeRgba(ref: ImageRef, field: string): Promise<Rgba> {
  const src = readImageRef(ref, field);
  try {
    const { data, info } = await sharp(src.bytes, { failOn: 'truncated' }).rotate().toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0] ?? 'unreadable';
    throw imageError(src.label, /unsupported image format|Input buffer contains unsupported/i.test(msg) ? 'not an image (unsupported or unknown format)' : `cannot decode the mask: ${msg}`);
  }
}

/**
 * A1111 `create_binary_mask(image, round)`: an RGBA image whose alpha is not all 255 gives its alpha
 * (thresholded >128 → 255 else 0 when `round`); otherwise luminance (`convert('L')`), greys kept.
 */
export function binaryMask(img: Rgba, round: boolean): GrayImage {
  const n = img.width * img.height;
  const d = img.data;
  let transparent = false;
  for (let i = 0; i < n && !transparent; i++) transparent = d[4 * i + 3] !== 255;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (transparent) {
      const a = d[4 * i + 3]!;
      out[i] = round ? (a > 128 ? 255 : 0) : a;
    } else {
      out[i] = (d[4 * i]! * 19595 + d[4 * i + 1]! * 38470 + d[4 * i + 2]! * 7471 + 0x8000) >>> 16;
    }
  }
  return { data: out, width: img.width, height: img.height };
}

/** An uploaded or painted mask (path, data URL or base64 PNG bytes), binarised as A1111 does. */
export async function loadMask(ref: ImageRef, field: string, round: boolean): Promise<GrayImage> {
  return binaryMask(await decodeRgba(ref, field), round);
}

/**
 * The source image's transparency as a mask: transparent = inpaint (255 − alpha, thresholded at 128 when
 * `round`). An opaque source gives an error rather than an empty mask.
 */
export async function maskFromAlpha(ref: ImageRef, field: string, round: boolean): Promise<GrayImage> {
  const img = await decodeRgba(ref, field);
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    const a = img.data[4 * i + 3]!;
    any ||= a !== 255;
    out[i] = round ? (a > 128 ? 0 : 255) : 255 - a;
  }
  if (!any) throw imageError(readImageRef(ref, field).label, 'has no transparent pixels, so its alpha channel gives no mask');
  return { data: out, width: img.width, height: img.height };
}

/** A1111 "Mask transparency" (`ImageEnhance.Brightness(1 − alpha/100)`: values scaled and truncated). */
export function maskTransparency(m: GrayImage, alphaPercent: number): GrayImage {
  if (!alphaPercent) return m;
  const f = 1 - alphaPercent / 100;
  const out = new Uint8Array(m.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.trunc(m.data[i]! * f);
  return { data: out, width: m.width, height: m.height };
}
