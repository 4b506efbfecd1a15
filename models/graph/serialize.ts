// The ONNX wire format: turns a GraphSnapshot into a ModelProto through onnx-proto (protobufjs 6). This is the
// project's only importer of onnx-proto; everything else builds plain typed records.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { AtomicFile, writeFileAtomic } from '../formats/atomicFile';
import type { Attr, TensorValue } from './attrs';
import type { InitializerRecord, NodeRecord, ValueSpec } from './core';
import { ElemType, bytesOf, elemTypeOf, type Dim } from './dtypes';

export interface GraphSnapshot {
  name: string;
  opset: number;
  domains: Record<string, number>;
  producerName: string;
  inputs: readonly ValueSpec[];
  outputs: readonly ValueSpec[];
  initializers: readonly InitializerRecord[];
  nodes: readonly NodeRecord[];
}

export interface WriteModelOptions {
  /** Model file name inside dir; default model.onnx. */
  fileName?: string;
  /** Put initializers into this file (relative to dir), as exporters do for models over 2 GB. */
  externalDataFile?: string;
  /** Initializers smaller than this stay inline; default 1024 bytes (onnx's own default). */
  externalThreshold?: number;
}

/** External data offsets are aligned so a reader can view the bytes as any typed array in place. */
const EXTERNAL_ALIGN = 64;
/** protobuf's hard limit for one message. */
const PROTO_LIMIT = 2 ** 31 - 1;

const ATTR_TYPE = onnx.AttributeProto.AttributeType;

function tensorProto(name: string, t: TensorValue, external?: { location: string; offset: number }): onnx.ITensorProto {
  const proto: onnx.ITensorProto = { name, dataType: t.elemType ?? elemTypeOf(t.data), dims: [...t.dims] };
  if (external) {
    proto.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    proto.externalData = [
      { key: 'location', value: external.location },
      { key: 'offset', value: String(external.offset) },
      { key: 'length', value: String(t.data.byteLength) },
    ];
  } else {
    // A Buffer view (no copy): protobufjs would copy a plain Uint8Array into a Buffer before writing it.
    const b = bytesOf(t.data);
    proto.rawData = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }
  return proto;
}

function attrProto(name: string, a: Attr): onnx.IAttributeProto {
  switch (a.kind) {
    case 'int':
      return { name, type: ATTR_TYPE.INT, i: Number(a.value) };
    case 'ints':
      return { name, type: ATTR_TYPE.INTS, ints: [...a.value] };
    case 'float':
      return { name, type: ATTR_TYPE.FLOAT, f: a.value };
    case 'floats':
      return { name, type: ATTR_TYPE.FLOATS, floats: [...a.value] };
    case 'string':
      return { name, type: ATTR_TYPE.STRING, s: Buffer.from(a.value, 'utf8') };
    case 'strings':
      return { name, type: ATTR_TYPE.STRINGS, strings: a.value.map((s) => Buffer.from(s, 'utf8')) };
    case 'tensor':
      return { name, type: ATTR_TYPE.TENSOR, t: tensorProto('', a.value) };
  }
}

function dimProto(d: Dim): onnx.TensorShapeProto.IDimension {
  return typeof d === 'number' ? { dimValue: d } : { dimParam: d };
}

function valueInfo(v: ValueSpec): onnx.IValueInfoProto {
  const tensorType: onnx.TypeProto.ITensor = { elemType: v.elemType };
  if (v.dims) tensorType.shape = { dim: v.dims.map(dimProto) };
  return { name: v.name, type: { tensorType } };
}

function nodeProto(n: NodeRecord): onnx.INodeProto {
  return {
    opType: n.opType,
    domain: n.domain,
    name: n.name,
    input: n.inputs,
    output: n.outputs,
    attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
  };
}

/** Where each external initializer goes: offsets into the data file, aligned. */
interface ExternalPlan {
  offsets: Map<string, number>;
  location: string;
}

function modelProto(g: GraphSnapshot, plan?: ExternalPlan): onnx.IModelProto {
  const initializer = g.initializers.map((i) => {
    const offset = plan?.offsets.get(i.name);
    return tensorProto(i.name, i, offset === undefined ? undefined : { location: plan!.location, offset });
  });
  const opsetImport: onnx.IOperatorSetIdProto[] = [{ domain: '', version: g.opset }];
  for (const [domain, version] of Object.entries(g.domains)) opsetImport.push({ domain, version });
  return {
    irVersion: 8,
    producerName: g.producerName,
    opsetImport,
    graph: {
      name: g.name,
      node: g.nodes.map(nodeProto),
      initializer,
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
    },
  };
}

function encode(proto: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(proto).finish();
}

/** ModelProto bytes with all weights inline. */
export function encodeModel(g: GraphSnapshot): Uint8Array {
  let total = 0;
  for (const i of g.initializers) total += i.data.byteLength;
  if (total > PROTO_LIMIT - (64 << 20)) {
    throw new Error(`model weights are ${total} bytes, over protobuf's 2 GB limit: write with an external data file`);
  }
  return encode(modelProto(g));
}

/**
 * Writes the model (and its external data file) atomically (models/formats/atomicFile.ts): the data first, so a
 * model file that exists always points at complete data. Returns the model path.
 */
export async function writeModelFiles(g: GraphSnapshot, dir: string, opts: WriteModelOptions = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const modelPath = join(dir, opts.fileName ?? 'model.onnx');
  const loc = opts.externalDataFile;
  if (loc === undefined) {
    await writeFileAtomic(modelPath, encodeModel(g));
    return modelPath;
  }
  const threshold = opts.externalThreshold ?? 1024;
  const plan: ExternalPlan = { offsets: new Map(), location: loc };
  const data = await AtomicFile.create(join(dir, loc), { durable: false });
  try {
    let offset = 0;
    for (const init of g.initializers) {
      if (init.data.byteLength < threshold || init.elemType === ElemType.STRING) continue;
      const aligned = Math.ceil(offset / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
      if (aligned > offset) await data.writeAt(new Uint8Array(aligned - offset), offset);
      // Written straight from the caller's array: weights never pass through one big concatenated buffer.
      await data.writeAt(bytesOf(init.data), aligned);
      plan.offsets.set(init.name, aligned);
      offset = aligned + init.data.byteLength;
    }
    const bytes = encode(modelProto(g, plan));
    await data.commit();
    await writeFileAtomic(modelPath, bytes);
    return modelPath;
  } catch (err) {
    await data.abort();
    throw err;
  }
}

/** Re-encodes a decoded (and edited) model with every weight inline: graph surgery on exported models. */
export function encodeModelProto(model: onnx.IModelProto): Uint8Array {
  return encode(model);
}

/**
 * Decodes model bytes. A Buffer is handed on as a plain Uint8Array view: protobufjs 6's Buffer reader returns an
 * empty `bytes` field as `new Buffer(0)` (its `BufferReader.bytes`), which makes Node print the Buffer()
 * deprecation warning (DEP0005) on every build; its array reader slices views the same way without it.
 */
export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  return onnx.ModelProto.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
