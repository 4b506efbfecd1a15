import { PhiloxGenerator } from './philox';
import { TorchCpuGenerator } from './torchNormal';

export type RngSource = 'cpu' | 'gpu' | 'nv';
export interface Rng { randn(shape: number[]): Float32Array }

/** A1111's `randn_source`: "GPU" (default; CUDA Philox), "CPU" (torch MT19937), "NV" (A1111's Philox port). */
export function createRng(source: RngSource, seed: number | bigint): Rng {
  switch (source) {
    case 'cpu': return new TorchCpuGenerator(seed);
    case 'gpu':
    case 'nv': return new PhiloxGenerator(seed);
    default: throw new Error(`unknown RNG source "${String(source)}" (valid: cpu, gpu, nv)`);
  }
}
