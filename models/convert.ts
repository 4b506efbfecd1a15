// .ckpt / .pt / .bin → .safetensors without Python: the restricted reader describes the tensors, each is read
// (views materialised: safetensors has no shared storage) and streamed into the output. The source's SHA-256 is
// recorded in the output's metadata, so the converted file can be traced back to the checkpoint it came from,
// and the output's own hashes go into the hash cache.
import { basename, extname, resolve } from 'node:path';
import { openWeights, stateDict } from './formats/open';
import { checkOutputFile } from './formats/outputChecks';
import { SafetensorsWriter } from './formats/safetensors';
import { TensorReader, byteLength } from './formats/tensorRecord';
import { hashFile, recordHashes, type HashCache } from './hash';

export interface ConvertOptions {
  input: string;
  /** Must end in .safetensors. */
  out: string;
  /** Replace an existing file at `out` (default false: refused before any work). */
  overwrite?: boolean;
  signal?: AbortSignal;
  /** Output bytes written / total. */
  onProgress?: (done: number, total: number) => void;
  hashCache?: HashCache | false;
}

export interface ConvertResult {
  out: string;
  tensors: number;
  bytes: number;
  /** Non-tensor entries of the checkpoint that were left out (`global_step`, ...). */
  dropped: string[];
  sourceSha256: string;
  sha256: string;
  shortHash: string;
  metadata: Record<string, string>;
}

export class ConvertError extends Error {
  override name = 'ConvertError';
}

export async function convertToSafetensors(o: ConvertOptions): Promise<ConvertResult> {
  if (extname(o.out).toLowerCase() !== '.safetensors') throw new ConvertError(`${o.out}: output must be a .safetensors file`);
  if (resolve(o.out) === resolve(o.input)) throw new ConvertError(`${o.out}: output would overwrite the input`);
  await checkOutputFile(o.out, o.overwrite ?? false);
  const w = await openWeights(o.input, o.signal ? { signal: o.signal } : {});
  const tensors = [...stateDict(w).entries()];
  if (!tensors.length) throw new ConvertError(`${o.input}: no tensors to convert`);
  const source = await hashFile(o.input, { cache: o.hashCache, signal: o.signal });
  const metadata: Record<string, string> = {
    ...w.metadata,
    format: 'pt',
    sd_studio_converted_from: basename(o.input),
    sd_studio_source_sha256: source.sha256,
  };
  const specs = tensors.map(([name, r]) => ({ name, dtype: r.dtype, shape: r.shape }));
  const total = specs.reduce((s, t) => s + byteLength(t), 0);
  const writer = await SafetensorsWriter.create(o.out, specs, metadata, { overwrite: o.overwrite ?? false });
  const reader = new TensorReader();
  try {
    let done = 0;
    // Prefetch the next tensor; a failed prefetch is reported when awaited, never as an unhandled rejection.
    const prefetch = (i: number) => {
      const p = reader.bytes(tensors[i]![1]);
      p.catch(() => undefined);
      return p;
    };
    let next = prefetch(0);
    for (let i = 0; i < tensors.length; i++) {
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('cancelled');
      const bytes = await next;
      if (i + 1 < tensors.length) next = prefetch(i + 1);
      await writer.write(bytes);
      o.onProgress?.((done += bytes.byteLength), total);
    }
    const hashes = await writer.commit();
    await recordHashes(o.out, hashes.sha256, hashes.addnet, o.hashCache);
    return {
      out: o.out, tensors: tensors.length, bytes: total, dropped: [...w.leaves.keys()], sourceSha256: source.sha256,
      sha256: hashes.sha256, shortHash: hashes.sha256.slice(0, 10), metadata,
    };
  } catch (e) {
    await writer.abort();
    throw e;
  } finally {
    await reader.close();
  }
}
