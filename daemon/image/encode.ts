import sharp from 'sharp';
import type { RgbImage } from './rgbImage';

/** RGB → PNG bytes. Fixed options so the same pixels always give the same bytes. */
export async function encodePng(img: RgbImage): Promise<Uint8Array> {
  const buf = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 6, adaptiveFiltering: false, palette: false })
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Lanczos resize of an RGB image to exactly w×h (aspect ignored). */
export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const { data, info } = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

export type ImageFormat = 'png' | 'jpg' | 'webp';

/** A1111's `jpeg_quality` (JPEG and lossy WebP) and `webp_lossless`. */
export interface EncodeOptions {
  quality: number;
  webpLossless: boolean;
}

/**
 * RGB → the saving format's bytes (no metadata). PNG as `encodePng`; JPEG with 4:2:0 chroma as PIL saves it;
 * WebP lossy at `quality` or lossless.
 */
export async function encodeImageAs(img: RgbImage, format: ImageFormat, o: EncodeOptions): Promise<Uint8Array> {
  if (format === 'png') return encodePng(img);
  const s = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 3 } });
  const buf = format === 'jpg'
    ? await s.jpeg({ quality: o.quality, chromaSubsampling: '4:2:0' }).toBuffer()
    : await s.webp(o.webpLossless ? { lossless: true } : { quality: o.quality }).toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}
