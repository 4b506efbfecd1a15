// Weights of the tiny model's graphs: a named PRNG stream or given values, stored in the graph's float type.
import { ElemType, f32ToF16Bits, type Dim, type GraphBuilder } from '../graph';
import { normals } from './prng';

export interface PartOptions {
  floatType: ElemType.FLOAT | ElemType.FLOAT16;
  /** The batch dim of every input/output: "batch" (dynamic) or 1. */
  batch: Dim;
}

/** A weight in the graph's float type, from the named PRNG stream (or given values). */
export function weight(g: GraphBuilder, name: string, dims: number[], std: number | Float32Array): string {
  const n = dims.reduce((a, b) => a * b, 1);
  const f = typeof std === 'number' ? normals(name, n, std) : std;
  return g.floatType === ElemType.FLOAT16 ? g.initializer(name, f32ToF16Bits(f), dims) : g.initializer(name, f, dims);
}
