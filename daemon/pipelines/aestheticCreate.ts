// The aesthetic-gradients extension's "Create aesthetic embedding" (aesthetic_clip.py generate_imgs_embd): every
// image of a folder through CLIP's image tower (get_image_features, CLIPProcessor's preprocessing), averaged, saved
// as NAME.pt. Unreadable files are reported and skipped; nothing is written when no image could be read.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkWritableFolder } from '../../models/formats/outputChecks';
import { CancelledError, invalidParam, throwIfAborted } from '../errors';
import { loadImage } from '../image/decode';
import { FeatureMean, writeAestheticEmbedding } from '../interrogate/aestheticEmbedding';
import { clipPixels } from '../interrogate/clipPreprocess';
import type { JobContext } from '../jobs';
import type { InterrogateModels } from '../parts/interrogateModels';
import type { AestheticCreateResult } from '../protocol';

export interface ResolvedAestheticCreate {
  files: string[];
  clipFile: string;
  out: string;
  overwrite: boolean;
  normalizeEach: boolean;
}

export async function runAestheticCreate(p: ResolvedAestheticCreate, job: JobContext, models: InterrogateModels): Promise<AestheticCreateResult> {
  const started = performance.now();
  if (!p.overwrite && existsSync(p.out)) throw invalidParam('name', `${p.out} already exists (overwrite: true replaces it)`);
  await checkWritableFolder(dirname(p.out)); // before every image goes through CLIP, not after
  const vision = await models.clipVision(p.clipFile, (m) => job.report(0, p.files.length, m));
  const mean = new FeatureMean();
  const failed: AestheticCreateResult['failed'] = [];
  for (let i = 0; i < p.files.length; i++) {
    throwIfAborted(job.signal);
    const file = p.files[i]!;
    try {
      mean.add(await vision.embed(clipPixels(await loadImage(file, file), vision.size, 'floor')), p.normalizeEach);
    } catch (e) {
      if (e instanceof CancelledError || job.signal.aborted) throw new CancelledError();
      failed.push({ file, error: (e as Error).message });
    }
    job.report(i + 1, p.files.length, `aesthetic embedding: image ${i + 1}/${p.files.length}`);
  }
  if (mean.count === 0) throw invalidParam('input_dir', `no image could be read (${failed.length} failed)`);
  const embedding = mean.mean();
  if (!(await writeAestheticEmbedding(p.out, embedding, p.overwrite))) throw invalidParam('name', `${p.out} already exists (overwrite: true replaces it)`);
  return { jobId: job.id, path: p.out, images: mean.count, failed, dim: embedding.length, seconds: (performance.now() - started) / 1000 };
}
