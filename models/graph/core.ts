// The graph being built: named values, initializers (held by reference until written) and nodes in the order
// they were added, which is a valid topological order because a node can only name values that already exist
// or are graph inputs. Op helpers live in builder.ts; the wire format in serialize.ts.
import { toAttr, type Attr, type Attrs } from './attrs';
import { ElemType, elemSize, elemTypeName, elemTypeOf, numElements, type Dim, type TensorData } from './dtypes';
import { encodeModel, writeModelFiles, type GraphSnapshot, type WriteModelOptions } from './serialize';

export interface ValueSpec {
  name: string;
  elemType: ElemType;
  /** Undefined: shape unknown (rank too). */
  dims?: readonly Dim[];
}

export interface InitializerRecord {
  name: string;
  elemType: ElemType;
  dims: readonly number[];
  data: TensorData;
}

export interface NodeRecord {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

export interface GraphBuilderOptions {
  /** Graph name written into the model. */
  name?: string;
  /** Default-domain opset; 17 unless said otherwise (ReduceMean takes axes as an attribute up to 17). */
  opset?: number;
  /** Element type of float constants the op helpers create (epsilons, gelu's 0.5, ...): FLOAT or FLOAT16. */
  floatType?: ElemType.FLOAT | ElemType.FLOAT16;
  /** Other operator domains the graph uses, e.g. { 'com.microsoft': 1 }. */
  domains?: Record<string, number>;
  producerName?: string;
}

export interface NodeOptions {
  domain?: string;
  /** Node name; made unique. Defaults to the op type. */
  name?: string;
}

export class GraphCore {
  readonly opset: number;
  readonly floatType: ElemType.FLOAT | ElemType.FLOAT16;
  protected readonly graphName: string;
  protected readonly domains: Record<string, number>;
  protected readonly producerName: string;
  protected readonly inputs: ValueSpec[] = [];
  protected readonly outputs: ValueSpec[] = [];
  protected readonly initializers: InitializerRecord[] = [];
  protected readonly nodes: NodeRecord[] = [];
  /** Every value name in use (inputs, initializers, node outputs). */
  private readonly values = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(opts: GraphBuilderOptions = {}) {
    this.opset = opts.opset ?? 17;
    this.floatType = opts.floatType ?? ElemType.FLOAT;
    this.graphName = opts.name ?? 'graph';
    this.domains = opts.domains ?? {};
    this.producerName = opts.producerName ?? 'sd-studio';
  }

  /** A name not yet used in `taken`, derived from `base` (base, base_1, base_2, ...). */
  private fresh(base: string, taken: Set<string>): string {
    if (!taken.has(base)) return base;
    let n = this.counters.get(base) ?? 0;
    let name: string;
    do name = `${base}_${++n}`;
    while (taken.has(name));
    this.counters.set(base, n);
    return name;
  }

  /** Reserves and returns a unique value name derived from `base`. */
  uniqueName(base: string): string {
    const name = this.fresh(base, this.values);
    this.values.add(name);
    return name;
  }

  /** True when a value of this name exists. */
  has(name: string): boolean {
    return this.values.has(name);
  }

  /** Declares a graph input. Names are public contract, so a clash throws instead of being renamed. */
  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    if (this.values.has(name)) throw new Error(`graph input "${name}": name already used`);
    this.values.add(name);
    this.inputs.push({ name, elemType, dims: [...dims] });
    return name;
  }

  /**
   * Declares a graph output. With `from`, an Identity node copies that value to `name`, so graph code can compute
   * with internal names and expose the exporter's names at the end.
   */
  output(name: string, elemType: ElemType, dims?: readonly Dim[], from?: string): string {
    if (this.outputs.some((o) => o.name === name)) throw new Error(`graph output "${name}" declared twice`);
    if (from !== undefined && from !== name) {
      this.requireValue(from, `output ${name}`);
      if (this.values.has(name)) throw new Error(`graph output "${name}": name already used`);
      this.node('Identity', [from], [name]);
    } else {
      this.requireValue(name, `output ${name}`);
    }
    this.outputs.push({ name, elemType, dims: dims ? [...dims] : undefined });
    return name;
  }

  /**
   * Adds a weight. The typed array is kept by reference and written as raw bytes; it must not change before the
   * model is written. Uint16Array means FLOAT16 bits unless `elemType` says UINT16 or BFLOAT16. Returns the
   * (possibly de-duplicated) name.
   */
  initializer(name: string, data: TensorData, dims: readonly number[], elemType: ElemType = elemTypeOf(data)): string {
    const count = numElements(dims);
    if (data.byteLength !== count * elemSize(elemType)) {
      throw new Error(
        `initializer ${name}: ${data.byteLength} bytes of data for dims [${dims.join(',')}] of ${elemTypeName(elemType)} (want ${count * elemSize(elemType)})`,
      );
    }
    const unique = this.uniqueName(name);
    this.initializers.push({ name: unique, elemType, dims: [...dims], data });
    return unique;
  }

  /**
   * Adds a node. Inputs are value names ('' or undefined for an omitted optional input). `outputs` is a count of
   * outputs to name automatically (default 1) or explicit names (made unique). Returns the output names.
   */
  node(
    opType: string,
    inputs: readonly (string | undefined)[],
    outputs: number | readonly string[] = 1,
    attrs: Attrs = {},
    opts: NodeOptions = {},
  ): string[] {
    const ins = inputs.map((i) => i ?? '');
    // Trailing omitted inputs are dropped, not written as '': some ORT kernels (Squeeze) treat '' as present.
    while (ins.length > 0 && ins[ins.length - 1] === '') ins.pop();
    for (const i of ins) if (i !== '') this.requireValue(i, opType);
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.uniqueName(opType.toLowerCase()))
        : outputs.map((o) => this.uniqueName(o));
    // A node of another operator domain (com.microsoft contrib ops) declares that domain's opset on first use.
    if (opts.domain && this.domains[opts.domain] === undefined) this.domains[opts.domain] = 1;
    const name = this.fresh(opts.name ?? opType, this.nodeNames);
    this.nodeNames.add(name);
    const converted: Record<string, Attr> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) converted[k] = toAttr(k, v);
    this.nodes.push({ opType, domain: opts.domain ?? '', name, inputs: ins, outputs: outs, attrs: converted });
    return outs;
  }

  /** Adds a single-output node and returns that output's name. */
  op(opType: string, inputs: readonly (string | undefined)[], attrs: Attrs = {}, opts: NodeOptions = {}): string {
    return this.node(opType, inputs, 1, attrs, opts)[0]!; // asked for one output
  }

  private requireValue(name: string, user: string): void {
    if (!this.values.has(name)) throw new Error(`${user}: no value named "${name}"`);
  }

  /** Plain view of the graph for serialisation. */
  snapshot(): GraphSnapshot {
    return {
      name: this.graphName,
      opset: this.opset,
      domains: this.domains,
      producerName: this.producerName,
      inputs: this.inputs,
      outputs: this.outputs,
      initializers: this.initializers,
      nodes: this.nodes,
    };
  }

  /** The serialised ModelProto with every initializer inline (protobuf caps this at 2 GB; use writeModel beyond). */
  toBytes(): Uint8Array {
    return encodeModel(this.snapshot());
  }

  /**
   * Writes `<dir>/model.onnx` (or opts.fileName) atomically; with opts.externalDataFile, initializers of at least
   * opts.externalThreshold bytes (default 1024) go into that file beside it.
   */
  writeModel(dir: string, opts: WriteModelOptions = {}): Promise<string> {
    return writeModelFiles(this.snapshot(), dir, opts);
  }
}
