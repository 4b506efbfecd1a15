// Where a generation job's images go: its save target and options (A1111's saving settings), each image as
// `writeImage` writes it, the grid of a batch (`process_images_inner`: two or more images, `grid_save`), and the
// copies A1111 saves before highres fix / face restoration / colour correction.
import { imageGrid } from '../image/grid';
import type { RgbImage } from '../image/rgbImage';
import type { GeneratedImage } from '../protocol';
import type { ResolvedImg2Img } from '../validate';
import type { FilenameContext } from './filenames';
import type { SaveNaming, SaveTarget } from './save';
import { writeImage } from './writeImage';

export type ImageNames = Omit<FilenameContext, 'width' | 'height'>;

export interface JobImages {
  /** One finished image (saved when the job saves; returned inline when it sends). */
  image(img: RgbImage, seed: bigint, infotext: string, names: ImageNames, naming?: Omit<SaveNaming, 'sidecar'>): Promise<GeneratedImage>;
  /** A copy saved under a suffix ("-before-highres-fix"), never sent; nothing when the job does not save. */
  intermediate(img: RgbImage, infotext: string, names: ImageNames, suffix: string): Promise<void>;
  /** A grid of `imgs` into `<tab>-grids/` as `<basename>-NNNN` (when the job saves grids), or undefined. */
  grid(imgs: RgbImage[], infotext: string, names: ImageNames, o?: { basename?: string; rows?: number; force?: boolean; image?: RgbImage }): Promise<GeneratedImage | undefined>;
}

export function jobImages(p: Pick<ResolvedImg2Img, 'outdir' | 'saveImages' | 'sendImages' | 'save' | 'noGrid' | 'isImg2Img'>): JobImages {
  const tab = p.isImg2Img ? 'img2img' : 'txt2img';
  const base = { root: p.outdir, directoryPattern: p.save.directoryPattern, filenamePattern: p.save.filenamePattern };
  const target: SaveTarget | undefined = p.saveImages ? { ...base, tab: `${tab}-images` } : undefined;
  const gridTarget: SaveTarget = { ...base, tab: `${tab}-grids` };
  const encode = { quality: p.save.quality, webpLossless: p.save.webpLossless };
  return {
    image: (img, seed, infotext, names, naming = {}) =>
      writeImage(img, seed, infotext, names, { target, send: p.sendImages, format: p.save.format, encode, naming: { ...naming, saveTxt: p.save.saveTxt } }),
    async intermediate(img, infotext, names, suffix) {
      if (target) await writeImage(img, names.seed, infotext, names, { target, send: false, format: p.save.format, encode, naming: { suffix, saveTxt: p.save.saveTxt } });
    },
    async grid(imgs, infotext, names, o = {}) {
      const wanted = o.force || (imgs.length >= 2 && p.save.saveGrid && !p.noGrid);
      if (!wanted || (!p.saveImages && !o.force)) return undefined;
      const grid = o.image ?? imageGrid(imgs, o.rows);
      return writeImage(grid, names.seed, infotext, names, {
        target: p.saveImages ? gridTarget : undefined, send: p.sendImages, format: p.save.gridFormat, encode, naming: { basename: o.basename ?? 'grid', short: true, saveTxt: p.save.saveTxt },
      });
    },
  };
}
