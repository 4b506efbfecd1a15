// The aesthetic trainer's graph (arch/clip/textTraining.ts) depends only on the text tower's shape, not on its
// weights (they are inputs), so one file per shape is kept in `<cache>/aesthetic/`, written atomically.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildTextTraining, type TextTrainingShape } from './arch/clip/textTraining';
import { writeFileAtomic } from './formats/atomicFile';
import { defaultCacheDir } from './hash';

/** Bumped when the graph changes. */
const VERSION = 1;

export async function textTrainingOnnx(shape: TextTrainingShape, cacheDir = join(defaultCacheDir(), 'aesthetic')): Promise<string> {
  const s = shape;
  const path = join(cacheDir, `clip-text-train-w${s.width}-l${s.layers}-h${s.heads}-t${s.tokens}-m${s.mlp}-e${s.embedDim}-v${VERSION}.onnx`);
  if (!existsSync(path)) {
    mkdirSync(cacheDir, { recursive: true });
    await writeFileAtomic(path, buildTextTraining(shape).toBytes());
  }
  return path;
}
