// Aesthetic embedding files (A1111's aesthetic-gradients extension): `aesthetic_embeddings/NAME.pt`, a [1, E]
// float tensor saved by torch.save — the mean of a folder's CLIP image features (get_image_features). The
// extension averages them as they come; SD Studio normalises each first by default (each image counts the same),
// and either way the mean is normalised when the embedding is used (AestheticCLIP.load_image_embs).
import { existsSync } from 'node:fs';
import { openWeights } from '../../models/formats/open';
import { convert, readTensor } from '../../models/formats/tensorRecord';
import { torchSaveTensorBytes } from '../../models/formats/torchSaveWriter';
import { writeFileAtomic, writeNewFileSync } from '../../models/formats/atomicFile';
import { basename, extname } from 'node:path';
import { modelError } from '../errors';
import { findAestheticEmbedding, findClip } from '../modelFiles/interrogateFiles';
import type { InterrogateModels, ReportStage } from '../parts/interrogateModels';
import { normalized } from '../stages/conditioning/aesthetic';
import type { ChunkAesthetic } from '../stages/conditioning/textConditioner';
import type { ResolvedAesthetic } from '../validate';

/** Running mean of image features (float64 sums). */
export class FeatureMean {
  private sum: Float64Array | undefined;
  count = 0;

  add(features: Float32Array, normalizeEach: boolean): void {
    const f = normalizeEach ? normalized(features) : features;
    this.sum ??= new Float64Array(f.length);
    if (f.length !== this.sum.length) throw new Error(`image features of width ${f.length}, expected ${this.sum.length}`);
    for (let i = 0; i < f.length; i++) this.sum[i]! += f[i]!;
    this.count++;
  }

  mean(): Float32Array {
    if (!this.sum || this.count === 0) throw new Error('no image features to average');
    return Float32Array.from(this.sum, (v) => v / this.count);
  }
}

/** Writes NAME.pt ([1, E] float32, torch.save format); never over an existing file unless `overwrite`. */
export async function writeAestheticEmbedding(path: string, embedding: Float32Array, overwrite: boolean): Promise<boolean> {
  const bytes = torchSaveTensorBytes(embedding, [1, embedding.length]);
  if (overwrite) {
    await writeFileAtomic(path, bytes);
    return true;
  }
  return writeNewFileSync(path, bytes);
}

/** An embedding file's vector, normalised (load_image_embs): the file's one float tensor, [1, E] or [E]. */
export async function readAestheticEmbedding(path: string): Promise<Float32Array> {
  if (!existsSync(path)) throw modelError(path, 'aesthetic embedding file not found');
  const w = await openWeights(path);
  const t = w.tensors.find((r) => r.dtype === 'F32' || r.dtype === 'F16' || r.dtype === 'BF16' || r.dtype === 'F64');
  if (!t || !(t.shape.length === 1 || (t.shape.length === 2 && t.shape[0] === 1))) {
    throw modelError(path, `not an aesthetic embedding (expected one [1, 768] float tensor, found ${w.tensors.map((r) => `[${r.shape.join(', ')}]`).join(', ') || 'none'})`);
  }
  const v = convert(await readTensor(t), t.dtype, 'F32') as Float32Array;
  return normalized(v);
}

/** What the conditioning needs for one job: the embedding (normalised), its name, the CLIP text trainer. */
export async function prepareAesthetic(a: ResolvedAesthetic, modelsRoot: string, models: InterrogateModels, report?: ReportStage): Promise<ChunkAesthetic> {
  const file = findAestheticEmbedding(modelsRoot, a.embedding);
  const embedding = await readAestheticEmbedding(file);
  const trainer = await models.aestheticTrainer(findClip(modelsRoot), report);
  if (trainer.base.shape.embedDim !== embedding.length) {
    throw modelError(file, `holds a ${embedding.length}-wide embedding, the CLIP model's features are ${trainer.base.shape.embedDim} wide`);
  }
  return {
    trainer,
    settings: {
      name: basename(file, extname(file)), embedding, weight: a.weight, steps: a.steps, lr: a.lr, slerp: a.slerp,
      slerpAngle: a.slerpAngle, text: a.text, textNegative: a.textNegative,
    },
  };
}
