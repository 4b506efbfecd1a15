// LoRAs applied inside a built graph instead of in a copy of the weights: each targeted initializer W becomes
// W_base + Σ scale · reshape(up @ down) (A1111 network_lora.py / lyco_helpers, see lora.ts), computed by a few
// nodes on initializers only. ONNX Runtime folds them into one tensor when the session is created, so inference
// costs what it did; on disk the variant adds only the graph and the factors, which stay in the LoRA file itself
// (hard-linked) when their dtype allows. W_base keeps pointing where the base build pointed.
// A weight the base graph declares overridable (a graph input too: SDXL's fp16 weights cast at run time, see
// externalModel.ts) stays overridable under its new name, and so do its factors: ONNX Runtime then folds nothing,
// and the delta is made at run time just before its layer instead of a resident full-size copy per weight.
import type { onnx } from 'onnx-proto';
import { decodeModel, ElemType, GraphBuilder } from './graph';
import type { DType } from './formats/tensorRecord';
import type { ExternalDataWriter } from './externalData';
import { declareOverridable, setExternal } from './arch/externalModel';
import type { LoraDelta } from './lora';

const BASE = '::lora_base';
const PREFIX = 'lora::';

/** Factors stay in their stored precision when the graph can read it (a Cast follows); others become F32. */
const factorDType = (d: DType): DType => (d === 'F16' ? 'F16' : 'F32');
const elemOf = (d: DType): ElemType.FLOAT | ElemType.FLOAT16 => (d === 'F16' ? ElemType.FLOAT16 : ElemType.FLOAT);

export interface LoraGraphResult {
  /** Initializers that got a delta. */
  changed: number;
}

/**
 * Adds the deltas to `model` (edited in place). `targets`: initializer name → deltas (names are the checkpoint
 * keys, as the architecture builders name weights). Factor bytes are placed through `data`.
 */
export async function addLoraDeltas(model: onnx.IModelProto, targets: ReadonlyMap<string, readonly LoraDelta[]>, data: ExternalDataWriter): Promise<LoraGraphResult> {
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const inputs = new Map((graph.input ?? []).map((v) => [v.name ?? '', v]));
  let overridable = false;
  const g = new GraphBuilder({ name: 'lora', opset: opsetOf(model) });
  const factors: Array<{ name: string; record: LoraDelta['up']; dtype: DType }> = [];
  const factor = (name: string, record: LoraDelta['up']): string => {
    const dtype = factorDType(record.dtype);
    const init = g.initializer(name, dtype === 'F16' ? new Uint16Array(0) : new Float32Array(0), [0], elemOf(dtype));
    factors.push({ name: init, record, dtype });
    return dtype === 'F16' ? g.cast(init, ElemType.FLOAT) : init;
  };

  for (const [name, deltas] of targets) {
    const w = inits.get(name);
    if (!w) throw new Error(`LoRA target ${name} is not a weight of this graph`);
    const dims = (w.dims ?? []).map(Number);
    const elemType = w.dataType === ElemType.FLOAT16 ? ElemType.FLOAT16 : ElemType.FLOAT;
    const base = g.input(name + BASE, elemType, dims);
    let sum: string | undefined;
    deltas.forEach((d, j) => {
      const out = d.up.shape[0]!;
      const rank = d.down.shape[0]!;
      const up = g.reshape(factor(`${name}.${j}.up`, d.up), [out, -1]);
      const down = g.reshape(factor(`${name}.${j}.down`, d.down), [rank, -1]);
      // rebuild_cp_decomposition: einsum('n m k l, i n, m j -> i j k l', mid, up, down); else up @ down.
      const mid = d.mid && g.reshape(factor(`${name}.${j}.mid`, d.mid), [d.mid.shape[0]!, d.mid.shape[1]!, d.mid.shape[2] ?? 1, d.mid.shape[3] ?? 1]);
      let m = mid ? g.op('Einsum', [mid, up, down], { equation: 'nmkl,in,mj->ijkl' }) : g.matMul(up, down);
      m = g.mul(m, g.tensorConst(Float32Array.of(d.scale), []));
      if (d.block !== undefined) {
        const rows = dims[0]! / 3;
        m = g.pad(g.reshape(m, [rows, -1]), [d.block * rows, 0, (2 - d.block) * rows, 0]);
      }
      m = g.reshape(m, dims);
      sum = sum === undefined ? m : g.add(sum, m);
    });
    if (elemType === ElemType.FLOAT16) sum = g.cast(sum!, ElemType.FLOAT16);
    g.node('Add', [base, sum!], [name]);
    w.name = name + BASE;
    const declared = inputs.get(name);
    if (declared) {
      declared.name = name + BASE;
      overridable = true;
    }
  }

  const sub = decodeModel(g.toBytes()).graph!;
  const keep = new Set([...targets.keys()].flatMap((n) => [n, n + BASE]));
  const rename = (v: string): string => (v === '' || keep.has(v) ? v : PREFIX + v);
  const byName = new Map(factors.map((f) => [f.name, f]));
  for (const t of sub.initializer ?? []) {
    const f = byName.get(t.name ?? '');
    if (f) setExternal(t, await data.place(f.record, f.dtype), f.record.shape, elemOf(f.dtype));
    t.name = rename(t.name ?? '');
  }
  for (const n of sub.node ?? []) {
    n.input = (n.input ?? []).map(rename);
    n.output = (n.output ?? []).map(rename);
    n.name = PREFIX + (n.name ?? '');
  }
  graph.initializer = [...(graph.initializer ?? []), ...(sub.initializer ?? [])];
  if (overridable) declareOverridable(graph, (sub.initializer ?? []).filter((t) => byName.has((t.name ?? '').slice(PREFIX.length))));
  graph.node = [...(sub.node ?? []), ...(graph.node ?? [])];
  return { changed: targets.size };
}

function opsetOf(model: onnx.IModelProto): number {
  const v = (model.opsetImport ?? []).find((o) => !o.domain)?.version;
  return v === undefined || v === null ? 17 : Number(v);
}
