// A1111's saving settings for one job: the daemon settings (sdStudio.*) with the request's `override_settings`
// on top, under A1111's option names (samples_format, jpeg_quality, save_txt, grid_save, ...).
import { invalidParam } from '../errors';
import type { ImageFormat } from '../image/encode';
import type { DaemonSettings, SaveOverrides } from '../protocol';

export interface SaveOptions {
  /** `samples_format` / `grid_format`. */
  format: ImageFormat;
  gridFormat: ImageFormat;
  /** `jpeg_quality` 1..100 (JPEG and lossy WebP). */
  quality: number;
  webpLossless: boolean;
  /** `save_txt`: a `.txt` beside each image holding its infotext. */
  saveTxt: boolean;
  /** `grid_save` for this tab: a grid of every batch of two or more images. */
  saveGrid: boolean;
  filenamePattern: string;
  directoryPattern: string;
  /** `save_images_before_highres_fix`, `save_images_before_face_restoration`, `save_images_before_color_correction`. */
  beforeHighresFix: boolean;
  beforeFaceRestoration: boolean;
  beforeColorCorrection: boolean;
  /** `img2img_color_correction`. */
  colorCorrection: boolean;
}

const FORMATS: readonly ImageFormat[] = ['png', 'jpg', 'webp'];

function format(field: string, v: unknown): ImageFormat {
  const f = String(v).toLowerCase().replace(/^\./, '');
  const norm = f === 'jpeg' ? 'jpg' : f;
  if (!FORMATS.includes(norm as ImageFormat)) throw invalidParam(field, `unknown image format ${JSON.stringify(v)}`, 'png, jpg or webp');
  return norm as ImageFormat;
}

function flag(field: string, v: unknown, def: boolean | undefined): boolean {
  if (v === undefined || v === null) return def ?? false;
  if (typeof v !== 'boolean') throw invalidParam(field, `expected true or false, got ${JSON.stringify(v)}`, 'boolean');
  return v;
}

function text(field: string, v: unknown, def: string): string {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'string') throw invalidParam(field, `expected a string, got ${JSON.stringify(v)}`, 'string');
  return v;
}

/**
 * The options in force for a job of `tab`; bad override values throw InvalidParams naming the field. Settings a
 * caller left out (an older client, a test's partial settings) take A1111's defaults.
 */
export function resolveSaveOptions(s: Partial<DaemonSettings>, o: SaveOverrides = {}, tab: 'txt2img' | 'img2img' = 'img2img'): SaveOptions {
  const f = (k: keyof SaveOverrides): string => `override_settings.${k}`;
  const quality = o.jpeg_quality ?? s.jpegQuality ?? 80;
  if (typeof quality !== 'number' || !Number.isInteger(quality) || quality < 1 || quality > 100) throw invalidParam(f('jpeg_quality'), `${JSON.stringify(quality)} is out of range`, 'integer 1..100');
  return {
    format: format(f('samples_format'), o.samples_format ?? s.samplesFormat ?? 'png'),
    gridFormat: format(f('grid_format'), o.grid_format ?? s.gridFormat ?? 'png'),
    quality,
    webpLossless: flag(f('webp_lossless'), o.webp_lossless, s.webpLossless),
    saveTxt: flag(f('save_txt'), o.save_txt, s.saveTxt),
    saveGrid: flag(f('grid_save'), o.grid_save, (tab === 'txt2img' ? s.gridSaveTxt2Img : s.gridSaveImg2Img) ?? true),
    filenamePattern: text(f('samples_filename_pattern'), o.samples_filename_pattern, s.filenamePattern ?? ''),
    directoryPattern: text(f('directories_filename_pattern'), o.directories_filename_pattern, s.directoryPattern ?? '[date]'),
    beforeHighresFix: flag(f('save_images_before_highres_fix'), o.save_images_before_highres_fix, s.saveBeforeHighresFix),
    beforeFaceRestoration: flag(f('save_images_before_face_restoration'), o.save_images_before_face_restoration, s.saveBeforeFaceRestoration),
    beforeColorCorrection: flag(f('save_images_before_color_correction'), o.save_images_before_color_correction, s.saveBeforeColorCorrection),
    colorCorrection: flag(f('img2img_color_correction'), o.img2img_color_correction, s.img2imgColorCorrection),
  };
}
