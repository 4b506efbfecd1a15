// Writes a built graph whose weights are placeholders (params.ts) as `model.onnx` + external data. A weight whose
// stored dtype is the graph's and whose bytes are contiguous points INTO the checkpoint (offsets inside the
// .safetensors or the stored .ckpt zip entry) through a hard link beside the model: ONNX Runtime refuses
// external paths that leave the model folder (symlinks are resolved, absolute paths and ".." rejected), and a
// hard link is the same file, not a copy. Everything else (fp16 → fp32, strided views, other filesystems) is
// converted once into `weights.bin` beside the model.
import { link, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { AtomicFile, writeFileAtomic } from '../formats/atomicFile';
import { decodeModel, ElemType, type GraphBuilder } from '../graph';
import { DTYPE_SIZE, TensorReader, contiguousStrides, convert, type DType } from '../formats/tensorRecord';
import type { ParamEntry } from './params';

export interface ExternalWriteResult {
  modelPath: string;
  /** Weights read in place from the checkpoint (hard link) and weights converted into weights.bin. */
  pointed: number;
  converted: number;
  convertedBytes: number;
}

const LINK_NAME = 'checkpoint.weights';
const DATA_NAME = 'weights.bin';
const ALIGN = 64;

const wantDType = (t: ElemType): DType => (t === ElemType.FLOAT16 ? 'F16' : 'F32');

function contiguous(e: ParamEntry): boolean {
  const c = contiguousStrides(e.record.shape);
  return e.record.shape.every((d, i) => d === 1 || c[i] === e.record.strides[i]);
}

/** Hard-links `source` into `dir`; false when the filesystem or permissions refuse (then we convert). */
async function tryLink(source: string, dir: string): Promise<boolean> {
  const target = join(dir, LINK_NAME);
  await rm(target, { force: true });
  try {
    await link(source, target);
    return true;
  } catch {
    return false;
  }
}

/**
 * `checkpoint`: the file that may be linked (weights whose record lives in another file, e.g. a separate VAE,
 * are converted unless `allowLink` lists that file). `pointInto: false` converts everything (tests, fp16
 * mismatch).
 */
export async function writeExternalModel(
  g: GraphBuilder,
  plan: readonly ParamEntry[],
  dir: string,
  opts: { checkpoint?: string; pointInto?: boolean; signal?: AbortSignal } = {},
): Promise<ExternalWriteResult> {
  await mkdir(dir, { recursive: true });
  const pointable = (e: ParamEntry): boolean =>
    // Inflated zip members live in memory, not at a file offset: those are converted like other dtypes.
    opts.pointInto !== false && e.record.file === opts.checkpoint && !e.record.inline && e.record.dtype === wantDType(e.elemType) && contiguous(e);
  const linked = plan.some(pointable) && opts.checkpoint !== undefined && (await tryLink(opts.checkpoint, dir));
  if (!linked) await rm(join(dir, LINK_NAME), { force: true });

  const model = decodeModel(g.toBytes());
  const inits = new Map<string, onnx.ITensorProto>();
  for (const t of model.graph?.initializer ?? []) inits.set(t.name ?? '', t);

  const data = await AtomicFile.create(join(dir, DATA_NAME), { durable: false });
  const reader = new TensorReader();
  let offset = 0;
  let pointed = 0;
  let converted = 0;
  try {
    for (const e of plan) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
      const proto = inits.get(e.name);
      if (!proto) throw new Error(`initializer ${e.name} vanished from the graph`);
      const size = DTYPE_SIZE[e.record.dtype];
      const length = e.record.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[wantDType(e.elemType)];
      let location: string;
      let at: number;
      if (linked && pointable(e)) {
        location = LINK_NAME;
        at = e.record.offset + e.record.storageOffset * size;
        pointed++;
      } else {
        const values = convert(await reader.read(e.record), e.record.dtype, wantDType(e.elemType));
        const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        at = Math.ceil(offset / ALIGN) * ALIGN;
        await data.writeAt(bytes, at);
        offset = at + bytes.byteLength;
        location = DATA_NAME;
        converted++;
      }
      proto.dims = [...e.record.shape];
      proto.dataType = e.elemType;
      proto.rawData = undefined as unknown as Uint8Array;
      proto.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      proto.externalData = [
        { key: 'location', value: location },
        { key: 'offset', value: String(at) },
        { key: 'length', value: String(length) },
      ];
    }
    if (converted > 0) await data.commit();
    else {
      await data.abort();
      await rm(join(dir, DATA_NAME), { force: true });
    }
  } catch (e) {
    await data.abort();
    throw e;
  } finally {
    await reader.close();
  }
  const modelPath = join(dir, 'model.onnx');
  await writeFileAtomic(modelPath, onnx.ModelProto.encode(model).finish());
  return { modelPath, pointed, converted, convertedBytes: offset };
}
