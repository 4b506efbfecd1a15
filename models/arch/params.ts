// Weights as graph parameters without copies: an architecture asks for a checkpoint key and gets an initializer
// name; the initializer is a zero-size placeholder whose real bytes are decided when the model is written
// (externalModel.ts): a pointer into the checkpoint file itself, or a converted copy in the cache. So building
// the graph of a 4 GB checkpoint reads headers only.
import type { GraphBuilder } from '../graph';
import { ElemType } from '../graph';
import type { TensorRecord } from '../formats/tensorRecord';

/** The checkpoint's tensors don't fit the architecture: names the key and what was expected. */
export class ArchError extends Error {
  override name = 'ArchError';
}

/** A weight computed from a checkpoint weight when the graph is written (int8 values, their scales). */
export interface Derivation {
  kind: DeriveKind;
  /** The plain graph's initializer holding the source weight (its full checkpoint key). */
  from: string;
}

/**
 * int8 per output channel (symmetric): `int8-matmul` [in, out] for MatMul's B from a Linear's [out, in];
 * `int8-conv` [kh·kw·in, out] for the im2col product of a Conv's [out, in, kh, kw]; `int8-scale` [out].
 */
export type DeriveKind = 'int8-matmul' | 'int8-conv' | 'int8-scale';

export interface ParamEntry {
  /** Initializer name in the graph. */
  name: string;
  record: TensorRecord;
  /** Element type the graph wants for this weight. */
  elemType: ElemType.FLOAT | ElemType.FLOAT16 | ElemType.INT8;
  /**
   * fp16 weight cast to fp32 in the graph at every run (castF16InGraph): written as an overridable initializer (also
   * a graph input) so ONNX Runtime neither folds the Cast into a permanent fp32 copy nor pre-packs it.
   */
  castAtRun?: boolean;
  /** Set when the initializer is derived from `record`'s weight rather than being it. */
  derive?: Derivation;
}

export interface ParamsOptions {
  /** Linear and Conv layers quantise their weights to int8 (arch/int8.ts) where it pays. */
  int8?: boolean;
  /**
   * fp16 weights of an fp32 graph stay fp16 (read in place from the checkpoint, and fp16 in memory) and are cast
   * to fp32 by the graph when each layer runs, instead of being converted into a twice as large copy at build
   * time and held as fp32 by ONNX Runtime. SDXL's UNet is 5 GB in fp16, 10 GB in fp32 (more once pre-packed).
   */
  castF16InGraph?: boolean;
}

/** A view of a state dict under a key prefix, shared plan of every weight used. */
export class Params {
  private constructor(
    readonly g: GraphBuilder,
    private readonly tensors: ReadonlyMap<string, TensorRecord>,
    readonly prefix: string,
    readonly plan: ParamEntry[],
    private readonly byKey: Map<string, string>,
    /** Element type of float weights in the graph (fp32 for CPU, fp16 for GPU builds). */
    readonly weightType: ElemType.FLOAT | ElemType.FLOAT16,
    readonly options: ParamsOptions,
  ) {}

  static create(g: GraphBuilder, tensors: ReadonlyMap<string, TensorRecord>, prefix: string, weightType: ElemType.FLOAT | ElemType.FLOAT16 = ElemType.FLOAT, options: ParamsOptions = {}): Params {
    return new Params(g, tensors, prefix, [], new Map(), weightType, options);
  }

  /** The same plan, deeper prefix: `p.at('middle_block.1.')`. */
  at(sub: string): Params {
    return new Params(this.g, this.tensors, this.prefix + sub, this.plan, this.byKey, this.weightType, this.options);
  }

  has(key: string): boolean {
    return this.tensors.has(this.prefix + key);
  }

  shape(key: string): number[] {
    return this.record(key).shape;
  }

  private record(key: string): TensorRecord {
    const r = this.tensors.get(this.prefix + key);
    if (!r) throw new ArchError(`missing tensor "${this.prefix + key}"`);
    return r;
  }

  /**
   * The weight `key` in the graph's float type; each checkpoint tensor becomes one initializer (and at most one
   * Cast) however often it is used.
   */
  get(key: string): string {
    const record = this.record(key);
    if (!this.options.castF16InGraph || this.weightType !== ElemType.FLOAT || record.dtype !== 'F16') return this.initializer(key);
    const full = `${this.prefix + key}#f32`;
    const known = this.byKey.get(full);
    if (known !== undefined) return known;
    const name = this.g.cast(this.initializerOf(key, record, ElemType.FLOAT16, true), ElemType.FLOAT);
    this.byKey.set(full, name);
    return name;
  }

  /** The weight as an initializer in the graph's float type, never behind a Cast (tables that graph surgery cuts out). */
  initializer(key: string): string {
    return this.initializerOf(key, this.record(key), this.weightType);
  }

  private initializerOf(key: string, record: TensorRecord, elemType: ElemType.FLOAT | ElemType.FLOAT16, castAtRun = false): string {
    const full = `${this.prefix + key}#${elemType}`;
    const known = this.byKey.get(full);
    if (known !== undefined) return known;
    const empty = elemType === ElemType.FLOAT ? new Float32Array(0) : new Uint16Array(0);
    const name = this.g.initializer(this.prefix + key, empty, [0], elemType);
    this.plan.push({ name, record, elemType, ...(castAtRun ? { castAtRun } : {}) });
    this.byKey.set(full, name);
    return name;
  }

  /** Initializer derived from weight `key` when the graph is written (see Derivation). */
  derived(key: string, kind: DeriveKind): string {
    const full = this.prefix + key;
    const id = `${full}#${kind}`;
    const known = this.byKey.get(id);
    if (known !== undefined) return known;
    const record = this.record(key);
    const elemType = kind === 'int8-scale' ? ElemType.FLOAT : ElemType.INT8;
    const name = this.g.initializer(`${full}.${kind}`, elemType === ElemType.INT8 ? new Int8Array(0) : new Float32Array(0), [0], elemType);
    this.plan.push({ name, record, elemType, derive: { kind, from: full } });
    this.byKey.set(id, name);
    return name;
  }

  /** Every key under this prefix (without it), in file order. */
  keys(): string[] {
    const out: string[] = [];
    for (const k of this.tensors.keys()) if (k.startsWith(this.prefix)) out.push(k.slice(this.prefix.length));
    return out;
  }

  /** Largest N with `${base}${N}${suffix}` present, plus one (0 when none). */
  count(base: string, suffix: string): number {
    let n = 0;
    while (this.has(`${base}${n}${suffix}`)) n++;
    return n;
  }
}
