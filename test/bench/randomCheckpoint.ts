// A full-size SD1.5 checkpoint with random weights (every name and shape of sd15-keys.json), for benchmarks: speed
// depends on shapes, not values. Weights follow PyTorch's default init (uniform ±1/√fan_in; norm scales 1, biases
// small), so activations stay O(1) and precision comparisons (int8 vs fp32) mean something. Seeded: the same file
// every time. Kept in the cache (`<cache>/bench/`) and reused, as writing 4.3 GB takes a while.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SafetensorsWriter, type TensorSpec } from '../../models/formats/safetensors';
import { byteLength, type DType } from '../../models/formats/tensorRecord';
import { defaultCacheDir } from '../../models/hash';
import { sharedPath } from '../sharedPath';

/** xorshift32 → uniform [0, 1). */
function uniforms(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function fill(name: string, shape: number[], out: Float32Array, rand: () => number): void {
  if (shape.length >= 2) {
    const bound = 1 / Math.sqrt(shape.slice(1).reduce((a, b) => a * b, 1));
    for (let i = 0; i < out.length; i++) out[i] = (rand() * 2 - 1) * bound;
  } else if (/norm|ln_|layer_norm/.test(name) && name.endsWith('weight')) {
    for (let i = 0; i < out.length; i++) out[i] = 1 + (rand() - 0.5) * 0.1;
  } else {
    for (let i = 0; i < out.length; i++) out[i] = (rand() - 0.5) * 0.05;
  }
}

export async function randomSd15Checkpoint(dir = join(defaultCacheDir(), 'bench')): Promise<string> {
  const path = join(dir, 'sd15-random-v1.safetensors');
  if (existsSync(path)) return path;
  await mkdir(dir, { recursive: true });
  const started = performance.now();
  const table = JSON.parse(readFileSync(sharedPath('models-fixtures', 'sd-tiny', 'sd15-keys.json'), 'utf8')) as { dtype: DType; dtype_exceptions?: Record<string, DType>; tensors: Record<string, number[]> };
  const specs: TensorSpec[] = Object.entries(table.tensors).map(([name, shape]) => ({ name, shape, dtype: table.dtype_exceptions?.[name] ?? table.dtype }));
  const w = await SafetensorsWriter.create(path, specs, { format: 'pt' });
  const rand = uniforms(1234);
  let total = 0;
  for (const s of specs) {
    const n = byteLength(s);
    if (s.dtype === 'I64') {
      await w.write(new Uint8Array(BigInt64Array.from({ length: n / 8 }, (_, i) => BigInt(i)).buffer));
    } else {
      const v = new Float32Array(n / 4);
      fill(s.name, s.shape, v, rand);
      await w.write(new Uint8Array(v.buffer));
    }
    total += n;
  }
  await w.commit();
  console.log(`random SD1.5 checkpoint: ${(total / 2 ** 30).toFixed(2)} GiB written to ${path} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return path;
}
