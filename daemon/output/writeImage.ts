import { encodePng } from '../image/encode';
import type { RgbImage } from '../image/rgbImage';
import { withPngText } from '../infotext/pngChunks';
import type { FilenameContext } from './filenames';
import { saveImage, type SaveTarget } from './save';
import type { GeneratedImage } from '../protocol';

export interface ImageOutput {
  /** Where to save (undefined: not saved, A1111 API `save_images: false`). */
  target?: SaveTarget;
  /** Return the PNG bytes in the result (A1111 API `send_images`). */
  send: boolean;
}

/**
 * One finished image: PNG with the A1111 `parameters` text, saved atomically under A1111's names (never over an
 * existing file) and/or returned inline.
 */
export async function writeImage(img: RgbImage, seed: number, infotext: string, names: Omit<FilenameContext, 'width' | 'height'>, out: ImageOutput): Promise<GeneratedImage> {
  const png = withPngText(await encodePng(img), [['parameters', infotext]]);
  const image: GeneratedImage = { seed, width: img.width, height: img.height, infotext };
  if (out.target) image.path = saveImage(out.target, { ...names, width: img.width, height: img.height }, png);
  if (out.send) image.png = Buffer.from(png).toString('base64');
  return image;
}
