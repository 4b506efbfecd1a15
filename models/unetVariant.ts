// UNet graph variants of a built checkpoint folder — token merging, int8, fp16 for GPU providers — written next to
// the plain `unet/model.onnx` as `unet/model.<variant>.onnx`. A variant shares the plain graph's weights: every
// weight it uses as is points at the same bytes (the checkpoint link or weights.bin, same offsets), so it costs a
// small graph file. Weights it derives (int8 values and scales, fp16 copies of fp32 weights) are computed from
// those bytes once and stored in `weights.<variant>.bin`. Building one needs the checkpoint's tensor headers only (for shapes):
// merged LoRAs and converted fp16 weights are read back from the plain graph's data.
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { onnx } from 'onnx-proto';
import { decodeModel, ElemType } from './graph';
import { TensorReader, contiguousStrides, type DType, type TensorRecord } from './formats/tensorRecord';
import { AtomicFile, writeFileAtomic } from './formats/atomicFile';
import type { BuiltPart } from './arch/unet';
import { deriveWeight } from './arch/int8';
import { overridableCasts } from './arch/externalModel';

export interface UnetVariant {
  /** The graph merges self-attention tokens by its `token_merging_ratio` input (arch/tokenMerging.ts). */
  tokenMerging?: boolean;
  /**
   * Weight arithmetic: fp32 (the plain graph), int8 (arch/int8.ts, the CPU's VNNI units), or fp16 (GPU providers:
   * half the memory traffic, tensor cores, attention fused into MultiHeadAttention, see arch/layers.ts).
   */
  precision?: 'fp32' | 'int8' | 'fp16';
}

/** Providers that get the fp16 graph (their MultiHeadAttention kernels are fused fp16 ones: flash/memory-efficient on CUDA). */
export const FP16_PROVIDERS: readonly string[] = ['cuda', 'dml', 'webgpu'];

/**
 * The graph to load for `provider`: on a GPU provider the fp32 request becomes the fp16 graph (A1111 runs its UNet
 * in half precision on GPUs too); int8 (a CPU format) and the CPU's fp32 stay as asked.
 */
export function variantForProvider(v: UnetVariant, provider: string): UnetVariant {
  return FP16_PROVIDERS.includes(provider) && (v.precision ?? 'fp32') === 'fp32' ? { ...v, precision: 'fp16' } : v;
}

/** File-name tag of a variant, or undefined for the plain graph. */
export function unetVariantTag(v: UnetVariant = {}): string | undefined {
  const parts = [v.precision && v.precision !== 'fp32' ? v.precision : '', v.tokenMerging ? 'tome' : ''].filter(Boolean);
  return parts.length ? parts.join('-') : undefined;
}

/** Where the variant's graph lives beside the plain `model.onnx`. */
export function unetVariantPath(plainModel: string, v: UnetVariant = {}): string {
  const tag = unetVariantTag(v);
  return tag ? join(dirname(plainModel), `model.${tag}.onnx`) : plainModel;
}

const DTYPE_OF: Partial<Record<number, DType>> = { [ElemType.FLOAT]: 'F32', [ElemType.FLOAT16]: 'F16' };

/** A record for the bytes an external initializer of the plain graph points at. */
function recordOf(dir: string, t: onnx.ITensorProto): TensorRecord {
  const ext = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const dtype = DTYPE_OF[t.dataType ?? 0];
  if (!dtype || !ext.has('location')) throw new Error(`${t.name}: not an external float weight in the plain UNet graph`);
  const shape = (t.dims ?? []).map(Number);
  return {
    name: t.name ?? '', file: join(dir, ext.get('location')!), offset: Number(ext.get('offset') ?? 0), dtype, shape,
    strides: contiguousStrides(shape), storageOffset: 0, storageBytes: Number(ext.get('length') ?? 0),
  };
}

/** How to make a variant: its graph, and (LoRA folders) the merged weights a derived weight starts from. */
export interface VariantSource {
  /** The variant's graph, built from the checkpoint's tensor headers. */
  build: () => BuiltPart;
  /**
   * Where LoRAs changed the UNet: its weights W + ΔW as merged records (models/lora.ts mergeLoras), which the
   * plain graph computes with nodes (loraGraph.ts) instead of storing; a weight derived from one (int8) reads them.
   */
  merged?: () => Promise<ReadonlyMap<string, TensorRecord>>;
}

/** The nodes of `graph` that compute `names` from initializers, with those initializers, in graph order. */
function producers(graph: onnx.IGraphProto, names: readonly string[]): { nodes: onnx.INodeProto[]; initializers: onnx.ITensorProto[] } {
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const byOutput = new Map<string, onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) byOutput.set(o, n);
  const nodes = new Set<onnx.INodeProto>();
  const used = new Map<string, onnx.ITensorProto>();
  const todo = [...names];
  while (todo.length) {
    const name = todo.pop()!;
    const init = inits.get(name);
    if (init) used.set(name, init);
    const node = byOutput.get(name);
    if (init || !node) {
      if (!init && name !== '') throw new Error(`${name}: neither a weight nor computed from weights in the plain UNet graph`);
      continue;
    }
    if (nodes.has(node)) continue;
    nodes.add(node);
    todo.push(...(node.input ?? []));
  }
  return { nodes: (graph.node ?? []).filter((n) => nodes.has(n)), initializers: [...used.values()] };
}

/**
 * Writes `part` (a UNet built from the same checkpoint as `plainModel`) as the variant `tag` beside it, atomically.
 * Weights the plain graph computes (a LoRA's W + ΔW) are computed the same way in the variant: those nodes and
 * their inputs are carried over; a variant in another float type (fp16) stores them merged instead, as the
 * carried nodes compute in the plain graph's type. Returns the variant's model path.
 */
export async function writeUnetVariant(part: BuiltPart, plainModel: string, tag: string, merged?: VariantSource['merged']): Promise<string> {
  const dir = dirname(plainModel);
  const plainGraph = decodeModel(readFileSync(plainModel)).graph ?? {};
  const plain = new Map<string, onnx.ITensorProto>();
  for (const t of plainGraph.initializer ?? []) if (t.externalData?.length) plain.set(t.name ?? '', t);
  const model = decodeModel(part.g.toBytes());
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const computed: string[] = [];
  const plainFloat = [...plain.values()].find((t) => t.dataType === ElemType.FLOAT || t.dataType === ElemType.FLOAT16)?.dataType;
  let mergedRecords: ReadonlyMap<string, TensorRecord> | undefined;
  const dataName = `weights.${tag}.bin`;
  const data = await AtomicFile.create(join(dir, dataName), { durable: false });
  const reader = new TensorReader();
  let offset = 0;
  let last: { from: string; values: Float32Array; shape: number[] } | undefined;
  try {
    for (const e of part.params.plan) {
      const proto = inits.get(e.name);
      if (!proto) throw new Error(`initializer ${e.name} vanished from the graph`);
      const source = plain.get(e.derive?.from ?? e.name);
      if (!e.derive && !source && (e.elemType === plainFloat || !merged)) {
        computed.push(e.name);
        continue;
      }
      if (!e.derive && source && source.dataType === e.elemType) {
        proto.dims = source.dims;
        proto.dataType = source.dataType;
        proto.externalData = source.externalData;
      } else {
        const record = async (name: string): Promise<TensorRecord> => {
          let rec = source ? recordOf(dir, source) : undefined;
          if (!rec && merged) rec = (mergedRecords ??= await merged()).get(name);
          if (!rec) throw new Error(`${plainModel}: has no weight ${name} (built by another version?)`);
          return rec;
        };
        let values: { data: ArrayBufferView; dims: number[]; elemType: number };
        if (e.derive) {
          // A weight's int8 values and its scales come one after the other: its floats are read once for both.
          if (last?.from !== e.derive.from) {
            const rec = await record(e.derive.from);
            last = { from: e.derive.from, values: (await reader.read(rec, 'F32')) as Float32Array, shape: rec.shape };
          }
          values = deriveWeight(e.derive, last.values, last.shape);
        } else {
          // The same weight in another float type (the fp16 graph of an fp32 build).
          const rec = await record(e.name);
          values = { data: await reader.read(rec, e.elemType === ElemType.FLOAT16 ? 'F16' : 'F32'), dims: rec.shape, elemType: e.elemType };
        }
        const bytes = new Uint8Array(values.data.buffer, values.data.byteOffset, values.data.byteLength);
        const at = Math.ceil(offset / 64) * 64;
        await data.writeAt(bytes, at);
        offset = at + bytes.byteLength;
        proto.dims = values.dims;
        proto.dataType = values.elemType;
        proto.externalData = [{ key: 'location', value: dataName }, { key: 'offset', value: String(at) }, { key: 'length', value: String(bytes.byteLength) }];
      }
      proto.rawData = undefined as unknown as Uint8Array;
      proto.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    }
    if (computed.length) {
      const carried = producers(plainGraph, computed);
      const drop = new Set(computed);
      graph.initializer = [...(graph.initializer ?? []).filter((t) => !drop.has(t.name ?? '')), ...carried.initializers];
      graph.node = [...carried.nodes, ...(graph.node ?? [])];
    }
    // The data goes in place first, so a model file that exists always points at complete data.
    if (offset > 0) await data.commit();
    else {
      await data.abort();
      await rm(join(dir, dataName), { force: true });
    }
  } catch (e) {
    await data.abort();
    throw e;
  } finally {
    await reader.close();
  }
  // fp16 weights cast at run time (SDXL) stay overridable in the variant too: no permanent fp32 copies.
  overridableCasts(model, part.params.plan);
  const path = join(dir, `model.${tag}.onnx`);
  await writeFileAtomic(path, onnx.ModelProto.encode(model).finish());
  return path;
}

/** The variant's model path, building it when it is not there yet. */
export async function ensureUnetVariant(plainModel: string, v: UnetVariant, source: VariantSource): Promise<string> {
  const tag = unetVariantTag(v);
  if (!tag) return plainModel;
  const path = unetVariantPath(plainModel, v);
  return existsSync(path) ? path : writeUnetVariant(source.build(), plainModel, tag, source.merged);
}

/** A variant's own files in a UNet folder (`model.<tag>.onnx`, `weights.<tag>.bin`): a LoRA folder makes its own. */
export const isUnetVariantFile = (name: string): boolean => /^model\.[^.]+\.onnx$|^weights\.[^.]+\.bin$/.test(name);
