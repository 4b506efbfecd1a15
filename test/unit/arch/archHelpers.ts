// Shared by the arch tests: read an sd-tiny fixture, build a part into a temp folder through the real
// external-data writer, run it on ONNX Runtime (CPU) and measure the distance to the stored PyTorch outputs.
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { openWeights, stateDict } from '../../../models/formats/open';
import { readTensor, type TensorRecord } from '../../../models/formats/tensorRecord';
import { writeExternalModel } from '../../../models/arch/externalModel';
import { writeSafetensors } from '../../../models/formats/safetensors';
import type { BuiltPart } from '../../../models/arch/unet';
import { sharedPath } from '../../sharedPath';

export const fixture = (name: string): string => sharedPath('models-fixtures', 'sd-tiny', name);

export async function weights(name: string): Promise<Map<string, TensorRecord>> {
  return stateDict(await openWeights(fixture(name)));
}

export interface IoTensor {
  data: Float32Array | BigInt64Array;
  dims: number[];
}

export async function io(name: string): Promise<Map<string, IoTensor>> {
  const out = new Map<string, IoTensor>();
  for (const [k, r] of await weights(name)) {
    const data = (await readTensor(r)) as Float32Array | BigInt64Array;
    out.set(k, { data, dims: r.shape });
  }
  return out;
}

export function f32(t: IoTensor): ort.Tensor {
  return new ort.Tensor('float32', t.data as Float32Array, t.dims);
}

export function ids32(t: IoTensor): ort.Tensor {
  return new ort.Tensor('int32', Int32Array.from(t.data as BigInt64Array, (v) => Number(v)), t.dims);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

let tmpRoot: string | undefined;
export async function tempDir(): Promise<string> {
  tmpRoot ??= await mkdtemp(join(tmpdir(), 'sd-arch-'));
  return mkdtemp(join(tmpRoot, 'p-'));
}
export async function cleanup(): Promise<void> {
  if (tmpRoot) await rm(tmpRoot, { recursive: true, force: true });
  tmpRoot = undefined;
}

/** Writes the part (weights converted into weights.bin, or pointed into `checkpoint`) and runs it once. */
export async function runBuilt(part: BuiltPart, feeds: Record<string, ort.Tensor>, outputs?: string[], checkpoint?: string): Promise<Record<string, Float32Array>> {
  const dir = await tempDir();
  const w = await writeExternalModel(part.g, part.params.plan, dir, { checkpoint });
  const s = await ort.InferenceSession.create(w.modelPath, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const r = outputs ? await s.run(feeds, outputs) : await s.run(feeds);
    const out: Record<string, Float32Array> = {};
    for (const [k, t] of Object.entries(r)) out[k] = t.data as Float32Array;
    return out;
  } finally {
    await s.release();
  }
}

/** Writes the part once and runs it on each set of feeds; returns `output` of each run. */
export async function runBuiltEach(part: BuiltPart, feeds: Array<Record<string, ort.Tensor>>, output: string): Promise<Float32Array[]> {
  const dir = await tempDir();
  const w = await writeExternalModel(part.g, part.params.plan, dir);
  const s = await ort.InferenceSession.create(w.modelPath, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const out: Float32Array[] = [];
    for (const f of feeds) out.push((await s.run(f, [output]))[output]!.data as Float32Array);
    return out;
  } finally {
    await s.release();
  }
}

/** Prints one line per compared output, so the run log carries the measured errors. */
export function report(what: string, err: number, tol: number): void {
  console.log(`  ${what}: max |Δ| = ${err.toExponential(2)} (tolerance ${tol.toExponential(0)})`);
}

/**
 * A standalone VAE file as distributed (sd-tiny's VAE without the `first_stage_model.` prefix) whose decoder output
 * conv is negated, so images decoded with it differ visibly from the checkpoint's own VAE.
 */
export async function writeOtherVae(path: string): Promise<void> {
  const out: { name: string; dtype: 'F32'; shape: number[]; data: Uint8Array }[] = [];
  for (const [name, r] of await weights('vae.safetensors')) {
    const v = (await readTensor(r, 'F32')) as Float32Array;
    const key = name.slice('first_stage_model.'.length);
    if (key === 'decoder.conv_out.weight') for (let i = 0; i < v.length; i++) v[i] = -v[i]!;
    out.push({ name: key, dtype: 'F32', shape: r.shape, data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) });
  }
  mkdirSync(dirname(path), { recursive: true });
  await writeSafetensors(path, out, { format: 'pt' });
}
