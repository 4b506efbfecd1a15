// Multiply-accumulates of a built graph (Conv and MatMul, which dominate every network here), by propagating
// shapes through the ops our architectures emit. Works on graphs whose weights are placeholders (Params plans):
// weight shapes come from the plan's records, so a graph built from a state dict of shapes alone can be counted
// at a size nobody has the weights of.
import type { GraphBuilder } from '../../models/graph';
import type { ParamEntry } from '../../models/arch/params';

type Shape = number[];

export function graphMacs(g: GraphBuilder, plan: readonly ParamEntry[], inputs: Record<string, Shape>): number {
  const snap = g.snapshot();
  const shapes = new Map<string, Shape>();
  const ints = new Map<string, number[]>();
  const floats = new Map<string, number[]>();
  const planShape = new Map(plan.map((e) => [e.name, e.record.shape]));
  for (const i of snap.initializers) {
    shapes.set(i.name, planShape.get(i.name) ?? [...i.dims]);
    if (i.data instanceof BigInt64Array) ints.set(i.name, Array.from(i.data, Number));
    else if (i.data instanceof Float32Array) floats.set(i.name, Array.from(i.data));
  }
  for (const i of snap.inputs) shapes.set(i.name, inputs[i.name] ?? (i.dims ?? []).map((d) => (typeof d === 'number' ? d : NaN)));
  let macs = 0;
  const shapeOf = (n: string): Shape => {
    const s = shapes.get(n);
    if (!s) throw new Error(`no shape for ${n}`);
    return s;
  };
  const broadcast = (a: Shape, b: Shape): Shape => {
    const n = Math.max(a.length, b.length);
    return Array.from({ length: n }, (_, i) => {
      const x = a[a.length - n + i] ?? 1;
      const y = b[b.length - n + i] ?? 1;
      return x === 1 ? y : x;
    });
  };
  const norm = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);
  for (const node of snap.nodes) {
    const [x = '', y = '', z = ''] = node.inputs;
    const a = node.attrs;
    const attrInts = (k: string): number[] | undefined => {
      const v = a[k];
      return v?.kind === 'ints' ? [...v.value] : undefined;
    };
    const attrInt = (k: string, def: number): number => {
      const v = a[k];
      return v?.kind === 'int' ? Number(v.value) : def;
    };
    let out: Shape;
    switch (node.opType) {
      case 'Conv':
      case 'MaxPool': {
        const s = shapeOf(x);
        const k = node.opType === 'Conv' ? shapeOf(y).slice(2) : attrInts('kernel_shape')!;
        const pads = attrInts('pads') ?? [0, 0, 0, 0];
        const strides = attrInts('strides') ?? [1, 1];
        const spatial = [0, 1].map((i) => Math.floor((s[2 + i]! + pads[i]! + pads[i + 2]! - k[i]!) / strides[i]!) + 1);
        const outCh = node.opType === 'Conv' ? shapeOf(y)[0]! : s[1]!;
        out = [s[0]!, outCh, ...spatial];
        if (node.opType === 'Conv') macs += out.reduce((p, d) => p * d, 1) * shapeOf(y)[1]! * k[0]! * k[1]!;
        break;
      }
      case 'MatMul': {
        const sa = shapeOf(x);
        const sb = shapeOf(y);
        const batch = broadcast(sa.slice(0, -2), sb.slice(0, -2));
        out = [...batch, sa[sa.length - 2]!, sb[sb.length - 1]!];
        macs += out.reduce((p, d) => p * d, 1) * sa[sa.length - 1]!;
        break;
      }
      case 'Add': case 'Mul': case 'Sub': case 'Div': case 'Pow':
        out = broadcast(shapeOf(x), shapeOf(y));
        break;
      case 'Where':
        out = broadcast(broadcast(shapeOf(x), shapeOf(y)), shapeOf(z));
        break;
      case 'Shape':
        out = [shapeOf(x).length];
        ints.set(node.outputs[0]!, shapeOf(x));
        break;
      case 'Resize': {
        const s = shapeOf(x);
        const sizes = node.inputs[3] ? ints.get(node.inputs[3]) : undefined;
        const scales = z ? floats.get(z) : undefined;
        out = sizes ? [...s.slice(0, 2), ...sizes.slice(2)] : s.map((d, i) => Math.floor(d * (scales?.[i] ?? 1)));
        break;
      }
      case 'Concat': {
        const axis = norm(attrInt('axis', 0), shapeOf(x).length);
        out = [...shapeOf(x)];
        out[axis] = node.inputs.reduce((p, n) => p + shapeOf(n)[axis]!, 0);
        if (node.inputs.every((n) => ints.has(n))) ints.set(node.outputs[0]!, node.inputs.flatMap((n) => ints.get(n)!));
        break;
      }
      case 'Transpose': {
        const s = shapeOf(x);
        out = (attrInts('perm') ?? s.map((_, i) => s.length - 1 - i)).map((p) => s[p]!);
        break;
      }
      case 'Reshape': {
        const s = shapeOf(x);
        const t = ints.get(y)!.map((d, i) => (d === 0 ? s[i]! : d));
        const known = t.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
        out = t.map((d) => (d === -1 ? s.reduce((p, v) => p * v, 1) / known : d));
        break;
      }
      case 'Gather': {
        const s = shapeOf(x);
        const axis = norm(attrInt('axis', 0), s.length);
        out = [...s.slice(0, axis), ...shapeOf(y), ...s.slice(axis + 1)];
        break;
      }
      case 'Slice': {
        const s = [...shapeOf(x)];
        const starts = ints.get(y)!;
        const ends = ints.get(z)!;
        const axes = node.inputs[3] ? ints.get(node.inputs[3])! : starts.map((_, i) => i);
        axes.forEach((ax, i) => {
          const d = s[ax]!;
          const st = Math.min(d, starts[i]! < 0 ? starts[i]! + d : starts[i]!);
          const en = Math.min(d, ends[i]! < 0 ? ends[i]! + d : ends[i]!);
          s[ax] = Math.max(0, en - st);
          // a slice of a shape (1-D ints) keeps its values
          const v = ints.get(x);
          if (v && s.length === 1) ints.set(node.outputs[0]!, v.slice(st, en));
        });
        out = s;
        break;
      }
      case 'Squeeze': {
        const s = shapeOf(x);
        const axes = y ? ints.get(y)!.map((v) => norm(v, s.length)) : s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
        out = s.filter((_, i) => !axes.includes(i));
        break;
      }
      case 'Expand':
        out = broadcast(shapeOf(x), ints.get(y)!);
        break;
      case 'GatherElements':
        out = [...shapeOf(y)];
        break;
      case 'ReduceSum': case 'ReduceMean': {
        const s = shapeOf(x);
        const axes = (y ? ints.get(y) : attrInts('axes'))!.map((v) => norm(v, s.length));
        const keep = attrInt('keepdims', 1) === 1;
        out = keep ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
        break;
      }
      case 'ArgMax': {
        const s = shapeOf(x);
        const axis = norm(attrInt('axis', 0), s.length);
        out = attrInt('keepdims', 1) === 1 ? s.map((d, i) => (i === axis ? 1 : d)) : s.filter((_, i) => i !== axis);
        break;
      }
      case 'Pad': {
        const s = shapeOf(x);
        const p = ints.get(y)!;
        out = s.map((d, i) => d + p[i]! + p[i + s.length]!);
        break;
      }
      case 'Unsqueeze': {
        const s = [...shapeOf(x)];
        for (const ax of [...ints.get(y)!].sort((p, q) => p - q)) s.splice(norm(ax, s.length + 1), 0, 1);
        out = s;
        break;
      }
      default:
        // Shape-preserving ops (activations, normalisations, Softmax, Cast, Identity, ...).
        out = [...shapeOf(x)];
    }
    shapes.set(node.outputs[0]!, out);
  }
  return macs;
}
