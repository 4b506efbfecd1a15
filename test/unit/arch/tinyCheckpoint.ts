// Builds whole single-file checkpoints from the sd-tiny part files (UNet + text encoder + VAE, keys as in real
// SD files) in the dtype asked for, and fake tensor tables from the full-size key lists for detection tests.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors } from '../../../models/formats/safetensors';
import { readTensor, contiguousStrides, type DType, type TensorRecord } from '../../../models/formats/tensorRecord';
import { fixture, tempDir, weights } from './archHelpers';

export async function writeTinyCheckpoint(path: string, parts: string[], dtype: 'F16' | 'F32'): Promise<void> {
  const out: { name: string; dtype: DType; shape: number[]; data: Uint8Array }[] = [];
  for (const part of parts) {
    for (const [name, r] of await weights(part)) {
      const to: DType = r.dtype === 'F16' || r.dtype === 'F32' ? dtype : r.dtype;
      const v = await readTensor(r, to);
      out.push({ name, dtype: to, shape: r.shape, data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) });
    }
  }
  await writeSafetensors(path, out, { format: 'pt' });
}

/** Records with names and shapes of a full-size key table (no data: detection reads names/shapes only). */
export function keyTable(name: string): Map<string, TensorRecord> {
  const j = JSON.parse(readFileSync(fixture(name), 'utf8')) as { dtype: DType; dtype_exceptions?: Record<string, DType>; tensors: Record<string, number[]> };
  const m = new Map<string, TensorRecord>();
  for (const [k, shape] of Object.entries(j.tensors)) {
    const dtype = j.dtype_exceptions?.[k] ?? j.dtype;
    m.set(k, { name: k, file: name, offset: 0, dtype, shape, strides: contiguousStrides(shape), storageOffset: 0, storageBytes: 0 });
  }
  return m;
}

/**
 * Folders for a pipeline test on the tiny SD1 checkpoint: the user's folder holding `tiny.safetensors` (F32) with
 * its head-count config beside it (the tiny CLIP's 4 heads cannot be read from weights), a cache, a models root and
 * an output folder.
 */
export async function tinyCheckpointEnv(): Promise<{ user: string; cache: string; root: string; out: string }> {
  const env = { user: await tempDir(), cache: await tempDir(), root: await tempDir(), out: await tempDir() };
  await writeTinyCheckpoint(join(env.user, 'tiny.safetensors'), ['unet-sd1.safetensors', 'clip-l-text.safetensors', 'vae.safetensors'], 'F32');
  writeFileSync(join(env.user, 'tiny.config.json'), JSON.stringify({ hf_config: { num_attention_heads: 4 } }));
  return env;
}
