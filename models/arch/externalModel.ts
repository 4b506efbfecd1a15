// Writes a built graph whose weights are placeholders (params.ts) as `model.onnx` + external data. A weight whose
// stored dtype is the graph's and whose bytes are contiguous points INTO the checkpoint (offsets inside the
// .safetensors or the stored .ckpt zip entry) through a hard link beside the model: ONNX Runtime refuses
// external paths that leave the model folder (symlinks are resolved, absolute paths and ".." rejected), and a
// hard link is the same file, not a copy. Everything else (fp16 → fp32, strided views, other filesystems) is
// converted once into `weights.bin` beside the model.
// Weights cast at run time (Params castF16InGraph) become overridable initializers (listed as graph inputs too: ONNX
// Runtime then neither constant-folds their Cast nor pre-packs them), and their Cast nodes go first in the node
// list: ONNX Runtime orders nodes by a reverse DFS that visits lower-indexed inputs last, so each Cast then runs
// just before its consumer and its fp32 copy is freed right after, instead of all of them being alive at once.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { writeFileAtomic } from '../formats/atomicFile';
import { decodeModel, ElemType, type GraphBuilder } from '../graph';
import type { DType } from '../formats/tensorRecord';
import { ExternalDataWriter, type ExternalDataStats } from '../externalData';
import type { ParamEntry } from './params';

export interface ExternalWriteResult extends ExternalDataStats {
  modelPath: string;
}

/** The hard link to the checkpoint inside a part's folder; links into user files end in `.weights`. */
export const LINK_NAME = 'checkpoint.weights';
export const DATA_NAME = 'weights.bin';

const wantDType = (t: ElemType): DType => (t === ElemType.FLOAT16 ? 'F16' : t === ElemType.INT8 ? 'I8' : 'F32');

/** Lists initializers as graph inputs as well: ONNX Runtime then treats them as overridable and folds nothing they feed. */
export function declareOverridable(graph: onnx.IGraphProto, tensors: readonly onnx.ITensorProto[]): void {
  const declared = tensors.map((t) => ({ name: t.name, type: { tensorType: { elemType: t.dataType, shape: { dim: (t.dims ?? []).map((d) => ({ dimValue: d })) } } } }));
  graph.input = [...(graph.input ?? []), ...declared];
}

/** Weights cast at run time: declared as graph inputs (overridable), their Cast nodes moved to the front. */
export function overridableCasts(model: onnx.IModelProto, plan: readonly ParamEntry[]): void {
  const graph = model.graph;
  const names = new Set(plan.filter((e) => e.castAtRun).map((e) => e.name));
  if (!graph || names.size === 0) return;
  declareOverridable(graph, (graph.initializer ?? []).filter((t) => names.has(t.name ?? '')));
  const nodes = graph.node ?? [];
  const first = nodes.filter((n) => n.opType === 'Cast' && names.has(n.input?.[0] ?? ''));
  const set = new Set(first);
  graph.node = [...first, ...nodes.filter((n) => !set.has(n))];
}

/**
 * `checkpoint`: the file that may be linked (weights whose record lives in another file, e.g. a separate VAE,
 * are converted unless that file is the checkpoint given). `pointInto: false` converts everything (tests).
 */
export async function writeExternalModel(
  g: GraphBuilder,
  plan: readonly ParamEntry[],
  dir: string,
  opts: { checkpoint?: string; pointInto?: boolean; signal?: AbortSignal } = {},
): Promise<ExternalWriteResult> {
  await mkdir(dir, { recursive: true });
  const model = decodeModel(g.toBytes());
  const inits = new Map<string, onnx.ITensorProto>();
  for (const t of model.graph?.initializer ?? []) inits.set(t.name ?? '', t);

  const data = new ExternalDataWriter(dir, DATA_NAME);
  if (opts.checkpoint !== undefined && opts.pointInto !== false) data.allowInPlace(opts.checkpoint, LINK_NAME);
  let stats: ExternalDataStats;
  try {
    for (const e of plan) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
      const proto = inits.get(e.name);
      if (!proto) throw new Error(`initializer ${e.name} vanished from the graph`);
      if (e.derive) throw new Error(`initializer ${e.name}: derived weights are written as a variant of a plain graph (unetVariant.ts)`);
      setExternal(proto, await data.place(e.record, wantDType(e.elemType)), e.record.shape, e.elemType);
    }
    stats = await data.close();
  } catch (err) {
    await data.abort();
    throw err;
  }
  overridableCasts(model, plan);
  const modelPath = join(dir, 'model.onnx');
  await writeModelAtomic(modelPath, model);
  return { modelPath, ...stats };
}

/** Points an initializer at external bytes. */
export function setExternal(proto: onnx.ITensorProto, ref: { location: string; offset: number; length: number }, dims: readonly number[], elemType: ElemType): void {
  proto.dims = [...dims];
  proto.dataType = elemType;
  proto.rawData = undefined as unknown as Uint8Array;
  proto.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  proto.externalData = [
    { key: 'location', value: ref.location },
    { key: 'offset', value: String(ref.offset) },
    { key: 'length', value: String(ref.length) },
  ];
}

/** model.onnx written atomically (models/formats/atomicFile.ts). */
export async function writeModelAtomic(path: string, model: onnx.IModelProto): Promise<void> {
  await writeFileAtomic(path, onnx.ModelProto.encode(model).finish());
}
