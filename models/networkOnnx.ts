// A network weights file (face restorer, detector, parser, upscaler; see networkKinds.ts) → an ONNX folder:
// `model.onnx` (+ external weights read in place from the file where the dtype fits, else weights.bin) and
// `model.json`, the caller's contract (input, normalisation, outputs) plus where it came from. The daemon keeps
// such folders in the cache keyed by the file's SHA-256, so a renamed or moved file reuses its graph and a
// changed one is rebuilt; `convert-onnx` writes one to a folder of the user's choosing.
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeExternalModel } from './arch/externalModel';
import { buildDirAtomic, writeFileAtomic } from './formats/atomicFile';
import { openWeights } from './formats/open';
import { netStateDict } from './formats/netStateDict';
import { WeightsError, type TensorRecord } from './formats/tensorRecord';
import { defaultCacheDir, hashFile, type HashCache } from './hash';
import { buildNetwork, detectNetwork, networkLabels, type NetworkIo, type NetworkKind, type NetworkOptions, type NetworkSource } from './networkKinds';

/** Bumped when a builder's graph changes, so cached folders made by older code are rebuilt. */
export const NETWORK_BUILDER_VERSION = 1;

/** model.json: the network's contract and its source. */
export interface NetworkSidecar extends NetworkIo {
  format: 'sd-studio-network';
  builderVersion: number;
  source: { file: string; sha256: string };
}

export interface NetworkFolder {
  dir: string;
  modelPath: string;
  sidecar: NetworkSidecar;
  /** False when a cached folder was reused. */
  built: boolean;
  /** Weights read in place from the file vs converted into weights.bin. */
  pointed: number;
  converted: number;
  seconds: number;
}

/** The file is not one of the networks we can build: names the file and what is supported. */
export class UnknownNetworkError extends Error {
  override name = 'UnknownNetworkError';
}

export interface NetworkBuildOptions extends NetworkOptions {
  /** Refuse a file of another kind (the daemon asking for its GFPGAN file). */
  expect?: NetworkKind;
  /** Output folder (convert-onnx; must not exist or be empty). Default: the cache. */
  out?: string;
  cacheDir?: string;
  hashCache?: HashCache | false;
  signal?: AbortSignal;
  onStage?: (stage: 'reading weights' | 'hashing weights' | 'building graph' | 'writing model') => void;
}

export const networkCacheDir = (env: NodeJS.ProcessEnv = process.env): string => join(defaultCacheDir(env), 'networks');

async function readNetwork(file: string, expect?: NetworkKind): Promise<{ kind: NetworkKind; tensors: Map<string, TensorRecord>; source: NetworkSource }> {
  const w = await openWeights(file);
  const tensors = netStateDict(w);
  const kind = detectNetwork(tensors);
  if (!kind) {
    const sample = [...tensors.keys()].slice(0, 6).join(', ');
    throw new UnknownNetworkError(`${file}: not a network SD Studio can build (supported: ${networkLabels().join('; ')}); first keys: ${sample || '(none)'}`);
  }
  if (expect && kind !== expect) throw new UnknownNetworkError(`${file}: holds a ${kind} network, expected ${expect}`);
  return { kind, tensors, source: { leaves: w.leaves, metadata: w.metadata } };
}

/**
 * Builds (or reuses from the cache) the ONNX folder of a network file. Callers that may ask twice at once dedupe
 * (the face parts load each file once).
 */
export async function networkOnnx(path: string, o: NetworkBuildOptions = {}): Promise<NetworkFolder> {
  const file = resolve(path);
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  o.onStage?.('reading weights');
  const { kind, tensors, source } = await readNetwork(file, o.expect);
  o.onStage?.('hashing weights');
  const { sha256 } = await hashFile(file, { cache: o.hashCache, signal: o.signal });
  const opts = o.heads === undefined ? '' : `-h${o.heads}`;
  const dir = o.out ? resolve(o.out) : join(o.cacheDir ?? networkCacheDir(), `${sha256.slice(0, 16)}-${kind}${opts}-v${NETWORK_BUILDER_VERSION}`);
  const sidecarPath = join(dir, 'model.json');
  if (!o.out && existsSync(sidecarPath) && existsSync(join(dir, 'model.onnx'))) {
    try {
      const sidecar = JSON.parse(readFileSync(sidecarPath, 'utf8')) as NetworkSidecar;
      return { dir, modelPath: join(dir, 'model.onnx'), sidecar, built: false, pointed: 0, converted: 0, seconds: seconds() };
    } catch {
      // a damaged sidecar: rebuild below
    }
  }
  if (o.out && existsSync(dir) && (await readdir(dir)).length > 0) throw new Error(`${dir}: output folder exists and is not empty`);
  o.onStage?.('building graph');
  const built = await buildNetwork(kind, tensors, o, source);
  return buildDirAtomic(dir, async (tmp) => {
    o.onStage?.('writing model');
    const w = await writeExternalModel(built.g, built.plan, tmp, { checkpoint: file, signal: o.signal });
    const sidecar: NetworkSidecar = { format: 'sd-studio-network', builderVersion: NETWORK_BUILDER_VERSION, ...built.io, source: { file, sha256 } };
    await writeFileAtomic(join(tmp, 'model.json'), `${JSON.stringify(sidecar, null, 2)}\n`);
    return { dir, modelPath: join(dir, 'model.onnx'), sidecar, built: true, pointed: w.pointed, converted: w.converted, seconds: seconds() };
  });
}

/** True when the file's state dict is one of the networks (convert-onnx's dispatch; cheap: headers only). */
export async function isNetworkFile(file: string): Promise<boolean> {
  try {
    return detectNetwork(netStateDict(await openWeights(file))) !== undefined;
  } catch (e) {
    if (e instanceof WeightsError) return false;
    throw e;
  }
}
