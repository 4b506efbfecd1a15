// TAESD weights (A1111's `VAE-approx/taesd_{decoder,encoder}.{safetensors,pth}`) → the ONNX graph
// (models/arch/taesd.ts), built once and cached on disk keyed by the file's SHA-256, as upscalerCache.ts does for
// upscalers. The cache lives in `<cache>/taesd/` (cache = $SD_STUDIO_CACHE_DIR, else $XDG_CACHE_HOME/sd-studio).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildTaesd } from './arch/taesd';
import { writeExternalModel } from './arch/externalModel';
import { buildDirAtomic } from './formats/atomicFile';
import { openWeights, stateDict } from './formats/open';
import { defaultCacheDir, hashFile } from './hash';

/** Builds (or finds in the cache) the graph of a TAESD encoder or decoder file; returns model.onnx. */
export async function buildTaesdPart(file: string, which: 'encoder' | 'decoder', cacheDir = join(defaultCacheDir(), 'taesd')): Promise<string> {
  const { sha256 } = await hashFile(file);
  const dir = join(cacheDir, `${which}-${sha256.slice(0, 16)}`);
  const model = join(dir, 'model.onnx');
  if (existsSync(model)) return model;
  const part = buildTaesd(stateDict(await openWeights(file)), which);
  await buildDirAtomic(dir, (tmp) => writeExternalModel(part.g, part.params.plan, tmp, { checkpoint: file }));
  return model;
}

/** The decoder graph (live previews, VAE type TAESD). */
export const buildTaesdDecoder = (file: string, cacheDir?: string): Promise<string> => buildTaesdPart(file, 'decoder', cacheDir);
