// Upscaler weights → ONNX, built once and cached on disk keyed by the weights' SHA-256 (so renaming or moving a
// file reuses the graph, and a changed file is rebuilt). `.onnx` files are used as they are. The cache lives in
// `<cache>/upscalers/` (cache = $SD_STUDIO_CACHE_DIR, else $XDG_CACHE_HOME/sd-studio, as the hash cache).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { buildRrdbnet, type HostWeight } from './arch/rrdbnet';
import { buildSrvgg } from './arch/srvgg';
import { buildTfjsLayersUpscaler } from './arch/esrganSlim';
import { detectUpscaler, type UpscalerGraphInfo } from './arch/detectUpscaler';
import { writeFileAtomic } from './formats/atomicFile';
import { openWeights } from './formats/open';
import { TensorReader, type TensorRecord } from './formats/tensorRecord';
import type { GraphBuilder } from './graph';
import { defaultCacheDir, sha256Full } from './hash';
import { touchFiles } from './buildCache';

/** Bump when a builder's output changes, so old cached graphs are not reused. */
const BUILDER_VERSION = 1;

export interface BuiltUpscaler {
  /** The ONNX file to run. */
  onnxPath: string;
  info: UpscalerGraphInfo;
  /** True when this call built the graph (false: cache hit or a plain .onnx). */
  built: boolean;
}

export const upscalerCacheDir = (env: NodeJS.ProcessEnv = process.env): string => join(defaultCacheDir(env), 'upscalers');

/**
 * The runnable ONNX for an upscaler source: `.onnx` (as is), a TF.js `model.json`, or `.pth`/`.pt`/`.safetensors`
 * weights. Callers that may ask twice at once keep the promise (daemon/parts/upscaler.ts does, per source).
 */
export async function upscalerOnnx(source: string, cacheDir = upscalerCacheDir()): Promise<BuiltUpscaler> {
  if (extname(source).toLowerCase() === '.onnx') {
    // Info of a user's ONNX is learnt when it runs (scale from the first tile, as A1111 does); RGB as exporters use.
    return { onnxPath: source, info: { arch: 'ONNX', scale: 0, multipleOf: 1, context: 16, channelOrder: 'rgb' }, built: false };
  }
  const tfjs = source.endsWith('.json');
  const key = tfjs ? await tfjsKey(source) : `${await sha256Full(source)}-v${BUILDER_VERSION}`;
  const onnxPath = join(cacheDir, `${key}.onnx`);
  const infoPath = join(cacheDir, `${key}.json`);
  if (existsSync(onnxPath) && existsSync(infoPath)) {
    try {
      const info = JSON.parse(await readFile(infoPath, 'utf8')) as UpscalerGraphInfo;
      touchFiles(onnxPath, infoPath);
      return { onnxPath, info, built: false };
    } catch {
      // a damaged info file: rebuild below
    }
  }
  const { graph, info } = tfjs ? await buildTfjsLayersUpscaler(source) : await buildFromWeights(source);
  await mkdir(cacheDir, { recursive: true });
  await writeFileAtomic(onnxPath, graph.toBytes());
  await writeFileAtomic(infoPath, JSON.stringify(info));
  return { onnxPath, info, built: true };
}

/** A TF.js model is its topology plus shards: hash all of them (they are small). */
async function tfjsKey(modelJson: string): Promise<string> {
  const h = createHash('sha256');
  const text = await readFile(modelJson);
  h.update(text);
  const m = JSON.parse(text.toString('utf8')) as { weightsManifest?: Array<{ paths: string[] }> };
  for (const group of m.weightsManifest ?? []) for (const p of group.paths) h.update(await readFile(join(dirname(modelJson), p)));
  return `tfjs-${h.digest('hex')}-v${BUILDER_VERSION}`;
}

async function buildFromWeights(path: string): Promise<{ graph: GraphBuilder; info: UpscalerGraphInfo }> {
  return buildUpscalerFromTensors((await openWeights(path)).tensors, path);
}

/** An ESRGAN-family graph from a file's tensor records (`file` labels errors); only the tensors used are read. */
export async function buildUpscalerFromTensors(tensors: readonly TensorRecord[], file: string): Promise<{ graph: GraphBuilder; info: UpscalerGraphInfo }> {
  const spec = detectUpscaler(tensors, file);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const reader = new TensorReader();
  const loaded = new Map<string, HostWeight>();
  try {
    // spec.keys: canonical name (rrdbnet) or state-dict key (srvgg) → file key; only those tensors are read.
    for (const [name, fileKey] of spec.keys) {
      const rec = byName.get(fileKey)!;
      loaded.set(name, { data: (await reader.read(rec, 'F32')) as Float32Array, shape: rec.shape });
    }
  } finally {
    await reader.close();
  }
  return spec.kind === 'rrdbnet' ? buildRrdbnet(spec, (n) => loaded.get(n)) : buildSrvgg(spec, (n) => loaded.get(n));
}
