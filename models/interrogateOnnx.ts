// The interrogation graphs that are not single image networks (those are networkKinds.ts rows): BLIP's encoder and
// decoder step, and CLIP's text tower with its projection (the term-list ranking). Built from the user's file on
// first use and kept in the cache keyed by the file's SHA-256, weights read in place where the dtype allows, as
// networkOnnx.ts does for the networks.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildBlipDecoder, buildBlipEncoder, type BlipInfo } from './arch/blip';
import { buildClipTextFeatures, type ClipTextInfo } from './arch/clip/textFeatures';
import { writeExternalModel } from './arch/externalModel';
import type { BuiltPart } from './arch/unet';
import { buildDirAtomic, writeFileAtomic } from './formats/atomicFile';
import { netStateDict } from './formats/netStateDict';
import { openWeights } from './formats/open';
import type { TensorRecord } from './formats/tensorRecord';
import { hashFile, type HashCache } from './hash';
import { networkCacheDir } from './networkOnnx';

const VERSION = 1;

export interface GraphBuildOptions {
  cacheDir?: string;
  hashCache?: HashCache | false;
  signal?: AbortSignal;
  onStage?: (stage: 'reading weights' | 'hashing weights' | 'building graph' | 'writing model') => void;
}

export interface CachedGraphs<I> {
  dir: string;
  /** Graph name → model path. */
  models: Record<string, string>;
  info: I;
  sha256: string;
}

/** Builds (or reuses) `<cache>/<sha16>-<tag>-v<N>/` with one .onnx per graph and info.json. */
async function cachedGraphs<I>(path: string, tag: string, build: (t: Map<string, TensorRecord>) => { parts: Record<string, BuiltPart>; info: I }, o: GraphBuildOptions): Promise<CachedGraphs<I>> {
  const file = resolve(path);
  o.onStage?.('reading weights');
  const tensors = netStateDict(await openWeights(file));
  o.onStage?.('hashing weights');
  const { sha256 } = await hashFile(file, { cache: o.hashCache, signal: o.signal });
  const dir = join(o.cacheDir ?? networkCacheDir(), `${sha256.slice(0, 16)}-${tag}-v${VERSION}`);
  const infoPath = join(dir, 'info.json');
  if (existsSync(infoPath)) {
    try {
      const saved = JSON.parse(readFileSync(infoPath, 'utf8')) as { models: Record<string, string>; info: I };
      const models = Object.fromEntries(Object.entries(saved.models).map(([k, v]) => [k, join(dir, v)]));
      if (Object.values(models).every((m) => existsSync(m))) return { dir, models, info: saved.info, sha256 };
    } catch {
      // damaged: rebuilt below
    }
  }
  o.onStage?.('building graph');
  const { parts, info } = build(tensors);
  return buildDirAtomic(dir, async (tmp) => {
    o.onStage?.('writing model');
    const models: Record<string, string> = {};
    for (const [name, part] of Object.entries(parts)) {
      const sub = join(tmp, name);
      await writeExternalModel(part.g, part.params.plan, sub, { checkpoint: file, signal: o.signal });
      models[name] = join(name, 'model.onnx');
    }
    await writeFileAtomic(infoPath.replace(dir, tmp), `${JSON.stringify({ source: file, sha256, models, info }, null, 2)}\n`);
    return { dir, models: Object.fromEntries(Object.entries(models).map(([k, v]) => [k, join(dir, v)])), info, sha256 };
  });
}

/** BLIP's `encoder` and `decoder` graphs (arch/blip.ts). */
export function blipOnnx(file: string, o: GraphBuildOptions = {}): Promise<CachedGraphs<BlipInfo>> {
  return cachedGraphs(file, 'blip', (t) => {
    const enc = buildBlipEncoder(t);
    return { parts: { encoder: enc, decoder: buildBlipDecoder(t) }, info: enc.info };
  }, o);
}

/** CLIP's `text` features graph (arch/clip/textFeatures.ts). */
export function clipTextOnnx(file: string, o: GraphBuildOptions = {}): Promise<CachedGraphs<ClipTextInfo>> {
  return cachedGraphs(file, 'clip-text', (t) => {
    const b = buildClipTextFeatures(t);
    return { parts: { text: b }, info: b.info };
  }, o);
}
