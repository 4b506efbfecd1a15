// Conversion at the model boundary: the pipeline always holds float32; fp16 models get IEEE half bits.
import { f16BitsToF32, f32ToF16Bits } from '../../models/graph/float16';
import type { HostTensor, TensorSpec } from '../../models/sessions';
import { modelError } from '../errors';

export function floatTensor(data: Float32Array, dims: number[], type: string): HostTensor {
  if (type === 'float16') return { type, data: f32ToF16Bits(data), dims };
  return { type: 'float32', data, dims };
}

export function toFloat32(t: HostTensor, file: string, name: string): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return f16BitsToF32(t.data as Uint16Array);
  throw modelError(file, `output "${name}" has element type ${t.type}`, 'float32 or float16');
}

/** Find a model input/output by its known names (exporters differ); error lists what the file has. */
export function findSpec(specs: TensorSpec[], aliases: string[], file: string, role: string, kind: 'input' | 'output'): TensorSpec {
  const spec = specs.find((s) => aliases.includes(s.name));
  if (!spec) {
    const found = specs.map((s) => `${s.name} (${s.type} [${s.shape.join(', ')}])`).join(', ') || 'none';
    throw modelError(file, `no ${kind} for the ${role}: found ${kind}s ${found}`, `an ${kind} named ${aliases.map((a) => `"${a}"`).join(' or ')}`);
  }
  return spec;
}

export function requireFloat(spec: TensorSpec, file: string): 'float32' | 'float16' {
  if (spec.type === 'float32' || spec.type === 'float16') return spec.type;
  throw modelError(file, `"${spec.name}" has element type ${spec.type}`, 'float32 or float16');
}

/** A fixed dimension (number) or undefined when symbolic/dynamic. */
export function fixedDim(spec: TensorSpec, axis: number): number | undefined {
  const d = spec.shape[axis];
  return typeof d === 'number' && d > 0 ? d : undefined;
}
