// What `process_images_inner` does to each decoded image before it is saved, in A1111's order: face restoration
// (a copy saved first with "save_images_before_face_restoration"), then img2img colour correction (a copy saved
// first with "save_images_before_color_correction"); the inpaint overlay composite follows in the pipeline.
import type { FaceRestorer } from '../extras/faceRestore';
import { loadImage } from '../image/decode';
import { applyColorCorrection, colorCorrectionReference } from '../image/colorCorrection';
import { resizeForImg2Img } from '../image/resize';
import type { RgbImage } from '../image/rgbImage';
import type { ImageNames, JobImages } from '../output/jobImages';
import type { ResolvedImg2Img } from '../validate';

export interface ImageFinish {
  /** One decoded image of job-wide index `index` (for the colour reference); `report` shows the faces' progress. */
  apply(img: RgbImage, index: number, infotext: () => string, names: ImageNames, report?: (message: string) => void): Promise<RgbImage>;
}

/** Prepares what the job needs: colour references from the init images (after A1111's resize). */
export async function prepareImageFinish(p: ResolvedImg2Img, out: JobImages, faces: FaceRestorer, modelsRoot: string, signal: AbortSignal): Promise<ImageFinish> {
  const refs: Uint8Array[] = [];
  if (p.isImg2Img && p.save.colorCorrection) {
    for (let i = 0; i < p.initImages.length; i++) {
      const src = await loadImage(p.initImages[i]!, `init_images[${i}]`);
      refs.push(colorCorrectionReference(await resizeForImg2Img(src, p.resizeMode === 3 ? 0 : p.resizeMode, p.width, p.height)));
    }
  }
  return {
    async apply(img, index, infotext, names, report) {
      let cur = img;
      const rf = p.restoreFaces;
      if (rf) {
        if (p.save.beforeFaceRestoration) await out.intermediate(cur, infotext(), names, '-before-face-restoration');
        // A1111's face_restoration.restore_faces: the chosen model at full strength.
        cur = await faces.restore(cur, { model: rf.model, visibility: 1, codeformerWeight: rf.codeformerWeight, modelsRoot }, signal, report ? { report } : {});
      }
      const ref = refs.length ? refs[index % refs.length] : undefined;
      if (ref) {
        if (p.save.beforeColorCorrection) await out.intermediate(cur, infotext(), names, '-before-color-correction');
        cur = applyColorCorrection(ref, cur);
      }
      return cur;
    },
  };
}
