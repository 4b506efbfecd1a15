// A TensorFlow.js LAYERS model (model.json topology + weight shards) → ONNX graph, without a TF.js runtime. Written
// for @upscalerjs/esrgan-slim (the built-in default upscaler, an RDN with Conv2D/Activation/Concatenate/Add/
// UpSampling2D), and general over those Keras layers so the package's other sizes convert too.
// Keras is NHWC; the graph is NCHW: concat axis 3 → 1, kernels HWIO → OIHW. The network works on 0..255 pixels,
// so the graph scales [0, 1] in and out to keep the one upscaler contract.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ElemType, GraphBuilder } from '../graph';
import type { UpscalerGraphInfo } from './detectUpscaler';
import { nearestUp } from './rrdbnet';

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: Array<Array<[string, number, number, unknown?]>>;
}

interface LayersModelJson {
  format?: string;
  modelTopology: { model_config?: { class_name: string; config: KerasGraph }; class_name?: string; config?: KerasGraph };
  weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string; quantization?: unknown }> }>;
}

interface KerasGraph {
  layers: KerasLayer[];
  input_layers: Array<[string, number, number]>;
  output_layers: Array<[string, number, number]>;
}

export class TfjsModelError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'TfjsModelError';
  }
}

/** Reads every weight of the manifest: shards are one little-endian float32 stream in manifest order. */
async function readWeights(modelJson: string, m: LayersModelJson): Promise<Map<string, { data: Float32Array; shape: number[] }>> {
  const out = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const group of m.weightsManifest) {
    const parts = await Promise.all(group.paths.map((p) => readFile(join(dirname(modelJson), p))));
    const all = Buffer.concat(parts);
    let at = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32' || w.quantization) throw new TfjsModelError(modelJson, `weight ${w.name}: only unquantised float32 is supported (got ${w.dtype}${w.quantization ? ', quantised' : ''})`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (at + n * 4 > all.length) throw new TfjsModelError(modelJson, `weight shards are truncated at ${w.name} (${all.length} bytes)`);
      // Copy: the shard buffer is not 4-byte aligned in general.
      const data = new Float32Array(n);
      new Uint8Array(data.buffer).set(all.subarray(at, at + n * 4));
      out.set(w.name, { data, shape: w.shape });
      at += n * 4;
    }
  }
  return out;
}

/** HWIO → OIHW. */
function kernelToOihw(k: { data: Float32Array; shape: number[] }): { data: Float32Array; shape: number[] } {
  const [h, w, i, o] = k.shape as [number, number, number, number];
  const out = new Float32Array(k.data.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ci = 0; ci < i; ci++) for (let co = 0; co < o; co++) {
    out[((co * i + ci) * h + y) * w + x] = k.data[((y * w + x) * i + ci) * o + co]!;
  }
  return { data: out, shape: [o, i, h, w] };
}

export async function buildTfjsLayersUpscaler(modelJson: string): Promise<{ graph: GraphBuilder; info: UpscalerGraphInfo }> {
  let m: LayersModelJson;
  try {
    m = JSON.parse(await readFile(modelJson, 'utf8')) as LayersModelJson;
  } catch (e) {
    throw new TfjsModelError(modelJson, `not a TF.js model.json (${(e as Error).message})`);
  }
  const topo = m.modelTopology?.model_config?.config ?? m.modelTopology?.config;
  if (!topo?.layers || !m.weightsManifest) throw new TfjsModelError(modelJson, 'not a TF.js layers model (no modelTopology layers / weightsManifest)');
  const weights = await readWeights(modelJson, m);
  const weight = (layer: string, what: string) => {
    const w = weights.get(`${layer}/${what}`);
    if (!w) throw new TfjsModelError(modelJson, `layer ${layer}: weight ${what} missing from the shards`);
    return w;
  };

  const g = new GraphBuilder({ name: 'tfjs_layers_upscaler' });
  const image = g.input('image', ElemType.FLOAT, [1, 3, 'height', 'width']);
  const values = new Map<string, string>();
  let scale = 1;
  let context = 0;
  const activate = (x: string, act: unknown, layer: string): string => {
    if (act === undefined || act === 'linear') return x;
    if (act === 'relu') return g.relu(x);
    if (act === 'sigmoid') return g.sigmoid(x);
    if (act === 'tanh') return g.tanh(x);
    throw new TfjsModelError(modelJson, `layer ${layer}: activation "${String(act)}" is not supported`);
  };

  for (const layer of topo.layers) {
    const c = layer.config;
    const ins = (layer.inbound_nodes[0] ?? []).map(([name]) => {
      const v = values.get(name);
      if (!v) throw new TfjsModelError(modelJson, `layer ${layer.name}: input ${name} is not computed yet`);
      return v;
    });
    let y: string;
    switch (layer.class_name) {
      case 'InputLayer':
        y = g.mul(image, g.floatConst(255));
        break;
      case 'Conv2D': {
        const [kh, kw] = c.kernel_size as number[];
        const strides = (c.strides as number[] | undefined) ?? [1, 1];
        const dil = (c.dilation_rate as number[] | undefined) ?? [1, 1];
        if (strides.some((s) => s !== 1) || dil.some((d) => d !== 1) || kh! % 2 === 0 || kw! % 2 === 0) {
          throw new TfjsModelError(modelJson, `layer ${layer.name}: only stride 1, dilation 1, odd kernels are supported`);
        }
        const same = c.padding === 'same';
        const k = kernelToOihw(weight(layer.name, 'kernel'));
        const b = c.use_bias === false ? undefined : weight(layer.name, 'bias');
        const pads = same ? [(kh! - 1) / 2, (kw! - 1) / 2, (kh! - 1) / 2, (kw! - 1) / 2] : [0, 0, 0, 0];
        const wn = g.initializer(`${layer.name}.weight`, k.data, k.shape);
        const bn = b ? g.initializer(`${layer.name}.bias`, b.data, b.shape) : undefined;
        y = activate(g.conv(ins[0]!, wn, bn, { kernelShape: [kh!, kw!], pads }), c.activation, layer.name);
        // Radius in input pixels; a conv after an upsampling reaches less far in input terms.
        context += Math.ceil((kh! - 1) / 2 / scale);
        break;
      }
      case 'Activation':
        y = activate(ins[0]!, c.activation, layer.name);
        break;
      case 'LeakyReLU':
        y = g.leakyRelu(ins[0]!, (c.alpha as number | undefined) ?? 0.3);
        break;
      case 'PReLU': {
        const a = weight(layer.name, 'alpha');
        const ch = a.shape[a.shape.length - 1]!;
        y = g.op('PRelu', [ins[0]!, g.initializer(`${layer.name}.alpha`, a.data, [ch, 1, 1])]);
        break;
      }
      case 'Concatenate': {
        const axis = (c.axis as number | undefined) ?? -1;
        if (axis !== -1 && axis !== 3) throw new TfjsModelError(modelJson, `layer ${layer.name}: concatenation on axis ${axis} is not supported`);
        y = g.concat(ins, 1);
        break;
      }
      case 'Add':
        y = ins.slice(1).reduce((acc, v) => g.add(acc, v), ins[0]!);
        break;
      case 'UpSampling2D': {
        const [sh, sw] = c.size as number[];
        if (sh !== sw || (c.interpolation !== undefined && c.interpolation !== 'nearest')) throw new TfjsModelError(modelJson, `layer ${layer.name}: only square nearest upsampling is supported`);
        y = nearestUp(g, ins[0]!, sh!);
        scale *= sh!;
        break;
      }
      default:
        throw new TfjsModelError(modelJson, `layer ${layer.name}: Keras layer type ${layer.class_name} is not supported`);
    }
    values.set(layer.name, y);
  }
  const outName = topo.output_layers[0]?.[0];
  const out = outName ? values.get(outName) : undefined;
  if (!out) throw new TfjsModelError(modelJson, 'no output layer');
  g.output('upscaled', ElemType.FLOAT, [1, 3, 'out_height', 'out_width'], g.clip(g.div(out, g.floatConst(255)), 0, 1));
  return { graph: g, info: { arch: 'TF.js layers (UpscalerJS ESRGAN)', scale, multipleOf: 1, context, channelOrder: 'rgb' } };
}
