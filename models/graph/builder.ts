// GraphBuilder: the graph core plus one typed helper per ONNX op the project's architectures use (opset 17
// semantics). Each helper returns its output's name. Composite helpers (gelu, silu, groupNorm) expand to the
// primitive ops real exporters emit, so graphs built here look like exported ones to ONNX Runtime.
import { attr, type TensorValue } from './attrs';
import { GraphCore, type GraphBuilderOptions } from './core';
import { ElemType, type TensorData } from './dtypes';
import { f32ToF16Bits } from './float16';

export type ResizeMode = 'nearest' | 'linear' | 'cubic';

export interface ConvOptions {
  kernelShape?: readonly number[];
  /** [begin..., end...] per spatial axis, ONNX order. */
  pads?: readonly number[];
  strides?: readonly number[];
  dilations?: readonly number[];
  group?: number;
}

export interface ConvTransposeOptions extends ConvOptions {
  outputPadding?: readonly number[];
}

export interface PoolOptions {
  kernelShape: readonly number[];
  strides?: readonly number[];
  pads?: readonly number[];
  countIncludePad?: boolean;
  ceilMode?: boolean;
}

export interface ResizeOptions {
  mode: ResizeMode;
  /** Scale per axis (all axes, including batch and channel). Give scales or sizes. */
  scales?: readonly number[];
  /** Output size per axis, or the name of an int64 tensor holding it. */
  sizes?: readonly number[] | string;
  coordinateTransformationMode?: 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_crop_and_resize';
  nearestMode?: 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';
}

export interface GemmOptions {
  alpha?: number;
  beta?: number;
  transA?: boolean;
  transB?: boolean;
}

/** A tensor-valued operand: a value name, or a literal turned into an int64 constant (shapes, axes, indices). */
export type IntsOrName = readonly number[] | string;

/** Small constants are shared instead of repeated, keyed by type and contents. */
const CONST_CACHE_MAX = 64;

export class GraphBuilder extends GraphCore {
  private readonly constCache = new Map<string, string>();

  constructor(opts: GraphBuilderOptions = {}) {
    super(opts);
  }

  // ---- constants ----------------------------------------------------------------------------------------------

  /** An initializer holding a constant; small ones are de-duplicated. */
  tensorConst(data: TensorData, dims: readonly number[], elemType?: ElemType, base = 'const'): string {
    const small = data.length <= CONST_CACHE_MAX;
    const key = small ? `${elemType ?? data.constructor.name}|${dims.join(',')}|${Array.from(data as ArrayLike<number | bigint>).join(',')}` : '';
    const hit = small ? this.constCache.get(key) : undefined;
    if (hit !== undefined) return hit;
    const name = this.initializer(base, data, dims, elemType);
    if (small) this.constCache.set(key, name);
    return name;
  }

  /** Float constant in the builder's float type (FLOAT or FLOAT16); a scalar when dims are omitted. */
  floatConst(values: number | readonly number[] | Float32Array, dims?: readonly number[]): string {
    const f32 = values instanceof Float32Array ? values : Float32Array.from(typeof values === 'number' ? [values] : values);
    const shape = dims ?? (typeof values === 'number' ? [] : [f32.length]);
    return this.floatType === ElemType.FLOAT16 ? this.tensorConst(f32ToF16Bits(f32), shape, ElemType.FLOAT16) : this.tensorConst(f32, shape);
  }

  /** Float32 constant regardless of the builder's float type (Resize scales must be float32). */
  f32Const(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.tensorConst(Float32Array.from(values), dims);
  }

  /** int64 constant: a 1-D list (shapes, axes), or a scalar with dims []. */
  int64Const(values: number | readonly number[], dims?: readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    const shape = dims ?? (typeof values === 'number' ? [] : [list.length]);
    return this.tensorConst(BigInt64Array.from(list, (v) => BigInt(v)), shape);
  }

  private ints(v: IntsOrName): string {
    return typeof v === 'string' ? v : this.int64Const(v);
  }

  /** A Constant node (the value lives in the node, not among the initializers). */
  constant(value: TensorValue): string {
    return this.op('Constant', [], { value: attr.tensor(value) });
  }

  // ---- elementwise ------------------------------------------------------------------------------------------

  add(a: string, b: string): string { return this.op('Add', [a, b]); }
  sub(a: string, b: string): string { return this.op('Sub', [a, b]); }
  mul(a: string, b: string): string { return this.op('Mul', [a, b]); }
  div(a: string, b: string): string { return this.op('Div', [a, b]); }
  pow(a: string, b: string): string { return this.op('Pow', [a, b]); }
  sqrt(x: string): string { return this.op('Sqrt', [x]); }
  exp(x: string): string { return this.op('Exp', [x]); }
  sin(x: string): string { return this.op('Sin', [x]); }
  cos(x: string): string { return this.op('Cos', [x]); }
  erf(x: string): string { return this.op('Erf', [x]); }
  neg(x: string): string { return this.op('Neg', [x]); }
  relu(x: string): string { return this.op('Relu', [x]); }
  sigmoid(x: string): string { return this.op('Sigmoid', [x]); }
  tanh(x: string): string { return this.op('Tanh', [x]); }
  identity(x: string): string { return this.op('Identity', [x]); }
  equal(a: string, b: string): string { return this.op('Equal', [a, b]); }
  where(cond: string, a: string, b: string): string { return this.op('Where', [cond, a, b]); }

  leakyRelu(x: string, alpha = 0.01): string {
    return this.op('LeakyRelu', [x], { alpha: attr.float(alpha) });
  }

  /** Clip to [min, max]; numbers become constants of the builder's float type, names are used as given. */
  clip(x: string, min?: number | string, max?: number | string): string {
    const bound = (v: number | string | undefined): string | undefined => (typeof v === 'number' ? this.floatConst(v) : v);
    return this.op('Clip', [x, bound(min), bound(max)]);
  }

  /** x·sigmoid(x), as exporters emit SiLU before opset 22 fusions. */
  silu(x: string): string {
    return this.mul(x, this.sigmoid(x));
  }

  /** Exact GELU as exported from PyTorch: 0.5·x·(1 + erf(x/√2)). (The Gelu op only exists from opset 20.) */
  gelu(x: string): string {
    const inner = this.erf(this.div(x, this.floatConst(Math.SQRT2)));
    return this.mul(this.mul(x, this.add(inner, this.floatConst(1))), this.floatConst(0.5));
  }

  // ---- linear algebra and convolution -----------------------------------------------------------------------

  matMul(a: string, b: string): string { return this.op('MatMul', [a, b]); }

  /** x·W + b with W [in, out]: a PyTorch Linear as exported (MatMul then Add). */
  linear(x: string, w: string, b?: string): string {
    const y = this.matMul(x, w);
    return b === undefined ? y : this.add(y, b);
  }

  gemm(a: string, b: string, c?: string, o: GemmOptions = {}): string {
    return this.op('Gemm', [a, b, c], {
      alpha: o.alpha === undefined ? undefined : attr.float(o.alpha),
      beta: o.beta === undefined ? undefined : attr.float(o.beta),
      transA: o.transA ? 1 : undefined,
      transB: o.transB ? 1 : undefined,
    });
  }

  conv(x: string, w: string, b?: string, o: ConvOptions = {}): string {
    return this.op('Conv', [x, w, b], {
      kernel_shape: o.kernelShape,
      pads: o.pads,
      strides: o.strides,
      dilations: o.dilations,
      group: o.group,
    });
  }

  convTranspose(x: string, w: string, b?: string, o: ConvTransposeOptions = {}): string {
    return this.op('ConvTranspose', [x, w, b], {
      kernel_shape: o.kernelShape,
      pads: o.pads,
      strides: o.strides,
      dilations: o.dilations,
      group: o.group,
      output_padding: o.outputPadding,
    });
  }

  averagePool(x: string, o: PoolOptions): string {
    return this.op('AveragePool', [x], {
      kernel_shape: o.kernelShape,
      strides: o.strides,
      pads: o.pads,
      count_include_pad: o.countIncludePad ? 1 : undefined,
      ceil_mode: o.ceilMode ? 1 : undefined,
    });
  }

  // ---- reductions and normalisation -------------------------------------------------------------------------

  softmax(x: string, axis = -1): string {
    return this.op('Softmax', [x], { axis });
  }

  /** Mean over `axes` (axes are an attribute up to opset 17, an input from 18: both handled). */
  reduceMean(x: string, axes: readonly number[], keepdims = true): string {
    const keep = keepdims ? 1 : 0;
    if (this.opset >= 18) return this.op('ReduceMean', [x, this.int64Const(axes)], { keepdims: keep });
    return this.op('ReduceMean', [x], { axes, keepdims: keep });
  }

  argMax(x: string, axis: number, keepdims = true): string {
    return this.op('ArgMax', [x], { axis, keepdims: keepdims ? 1 : 0 });
  }

  instanceNormalization(x: string, scale: string, bias: string, epsilon = 1e-5): string {
    return this.op('InstanceNormalization', [x, scale, bias], { epsilon: attr.float(epsilon) });
  }

  /** LayerNormalization (opset 17) over the axes from `axis` to the last. */
  layerNormalization(x: string, scale: string, bias?: string, axis = -1, epsilon = 1e-5): string {
    return this.op('LayerNormalization', [x, scale, bias], { axis, epsilon: attr.float(epsilon) });
  }

  /**
   * GroupNorm over an [N, C, ...spatial] tensor as PyTorch exports it: reshape to [N, groups, -1],
   * InstanceNormalization with unit scale, reshape back, then the per-channel affine.
   */
  groupNorm(x: string, groups: number, scale: string, bias: string, epsilon = 1e-5, spatialRank = 2): string {
    const grouped = this.reshape(x, [0, groups, -1]);
    const ones = this.floatConst(new Array<number>(groups).fill(1));
    const zeros = this.floatConst(new Array<number>(groups).fill(0));
    const normed = this.instanceNormalization(grouped, ones, zeros, epsilon);
    const back = this.reshape(normed, this.shape(x));
    const axes = Array.from({ length: spatialRank }, (_, i) => i + 1);
    return this.add(this.mul(back, this.unsqueeze(scale, axes)), this.unsqueeze(bias, axes));
  }

  // ---- shape ------------------------------------------------------------------------------------------------

  shape(x: string): string { return this.op('Shape', [x]); }

  /** Reshape; 0 copies the input's dim, -1 infers one dim (ONNX allowzero = 0). */
  reshape(x: string, shape: IntsOrName): string {
    return this.op('Reshape', [x, this.ints(shape)]);
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x], { perm });
  }

  concat(inputs: readonly string[], axis: number): string {
    return this.op('Concat', inputs, { axis });
  }

  slice(x: string, starts: IntsOrName, ends: IntsOrName, axes?: IntsOrName, steps?: IntsOrName): string {
    return this.op('Slice', [
      x,
      this.ints(starts),
      this.ints(ends),
      axes === undefined ? undefined : this.ints(axes),
      steps === undefined ? undefined : this.ints(steps),
    ]);
  }

  gather(data: string, indices: string, axis = 0): string {
    return this.op('Gather', [data, indices], { axis });
  }

  unsqueeze(x: string, axes: IntsOrName): string {
    return this.op('Unsqueeze', [x, this.ints(axes)]);
  }

  /** Squeeze the given axes, or every size-1 axis when omitted. */
  squeeze(x: string, axes?: IntsOrName): string {
    return this.op('Squeeze', [x, axes === undefined ? undefined : this.ints(axes)]);
  }

  expand(x: string, shape: IntsOrName): string {
    return this.op('Expand', [x, this.ints(shape)]);
  }

  cast(x: string, to: ElemType): string {
    return this.op('Cast', [x], { to });
  }

  /** Pad [begin..., end...] over all axes; mode 'constant' (0), 'reflect' or 'edge'. */
  pad(x: string, pads: IntsOrName, mode: 'constant' | 'reflect' | 'edge' = 'constant'): string {
    return this.op('Pad', [x, this.ints(pads)], { mode });
  }

  depthToSpace(x: string, blocksize: number, mode: 'DCR' | 'CRD' = 'DCR'): string {
    return this.op('DepthToSpace', [x], { blocksize, mode });
  }

  resize(x: string, o: ResizeOptions): string {
    if ((o.scales === undefined) === (o.sizes === undefined)) throw new Error('resize: give exactly one of scales or sizes');
    const scales = o.scales === undefined ? undefined : this.f32Const(o.scales);
    const sizes = o.sizes === undefined ? undefined : this.ints(o.sizes);
    return this.op('Resize', [x, '', scales, sizes], {
      mode: o.mode,
      coordinate_transformation_mode: o.coordinateTransformationMode,
      nearest_mode: o.mode === 'nearest' ? o.nearestMode : undefined,
    });
  }
}
