// Random TAESD encoder/decoder files at the official width (64; the sd-tiny fixture's keys at width 16, scaled), for
// timing TAESD decode/encode at full size. A models root with them in `VAE-approx/`, as A1111 keeps them.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openWeights, stateDict } from '../../models/formats/open';
import { writeSafetensors } from '../../models/formats/safetensors';
import { defaultCacheDir } from '../../models/hash';
import { sharedPath } from '../sharedPath';

const FIXTURE_WIDTH = 16;
const OFFICIAL_WIDTH = 64;

/** A models root holding random full-width taesd_{encoder,decoder}.safetensors; created once in the cache. */
export async function randomTaesdRoot(dir = join(defaultCacheDir(), 'bench', 'root')): Promise<string> {
  const approx = join(dir, 'VAE-approx');
  await mkdir(approx, { recursive: true });
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  for (const part of ['encoder', 'decoder']) {
    const out = join(approx, `taesd_${part}.safetensors`);
    if (existsSync(out)) continue;
    const tensors = stateDict(await openWeights(sharedPath('models-fixtures', 'sd-tiny', `taesd_${part}.safetensors`)));
    const specs = [...tensors.values()].map((r) => {
      const shape = r.shape.map((d) => (d === FIXTURE_WIDTH ? OFFICIAL_WIDTH : d));
      const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
      const v = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (shape.length > 1 ? rand() * 1.6 / Math.sqrt(fanIn) : rand() * 0.05));
      return { name: r.name, dtype: 'F32' as const, shape, data: new Uint8Array(v.buffer) };
    });
    await writeSafetensors(out, specs, { format: 'pt' });
  }
  return dir;
}
