// The CLIP text tower's weights in memory, in the trainer's names and Hugging Face's shapes (textTraining.ts),
// from either key layout: OpenAI's packed attention in-projection is split into q / k / v rows and its
// `x @ text_projection` matrix transposed into a Linear's [E, W]. Float32 copies: the aesthetic trainer updates
// them in place, so each run starts from a fresh copy (A1111 deep-copies the CLIPModel every time).
import { readTensor, convert, type TensorRecord } from '../../formats/tensorRecord';
import { ArchError } from '../params';
import { clipTextKeys, countLayers, type ClipLayout } from './layout';
import { clipHeads } from './tower';
import { LAYER_PARAMS, type TextTrainingShape } from './textTraining';

export interface ClipTextWeights {
  layout: ClipLayout;
  shape: TextTrainingShape;
  vocab: number;
  /** Token embedding table [vocab, W]. */
  tok: Float32Array;
  /** Projection as a Linear weight [E, W] (not trained). */
  proj: Float32Array;
  /** `pos`, `L{i}.{param}`, `lnf_w`, `lnf_b`. */
  params: Map<string, Float32Array>;
}

async function f32(r: TensorRecord): Promise<Float32Array> {
  const v = await readTensor(r);
  return (r.dtype === 'F32' ? v : convert(v, r.dtype, 'F32')) as Float32Array;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}

export async function readClipTextWeights(tensors: ReadonlyMap<string, TensorRecord>): Promise<ClipTextWeights> {
  const keys = clipTextKeys(tensors);
  if (!keys) throw new ArchError('no CLIP text tower with its projection (token_embedding + text_projection, or text_model.* + text_projection.weight)');
  const get = (key: string, root = false): TensorRecord => {
    const full = root ? key : keys.prefix + key;
    const r = tensors.get(full);
    if (!r) throw new ArchError(`missing tensor "${full}"`);
    return r;
  };
  const tokRec = get(keys.tokens);
  const [vocab, width] = tokRec.shape as [number, number];
  const [tokens] = get(keys.positions).shape as [number, number];
  const layers = countLayers(tensors, keys);
  const projRec = get(keys.projection.key, true);
  const embedDim = keys.projection.linear ? projRec.shape[0]! : projRec.shape[1]!;
  const lin1 = get(keys.layer(0).fc1 + '.weight');
  const shape: TextTrainingShape = { width, layers, heads: clipHeads(width), tokens, mlp: lin1.shape[0]!, embedDim };
  const params = new Map<string, Float32Array>();
  params.set('pos', await f32(get(keys.positions)));
  for (let i = 0; i < layers; i++) {
    const k = keys.layer(i);
    const L = `L${i}.`;
    const pair = async (name: string, key: string): Promise<void> => {
      params.set(`${L}${name}_w`, await f32(get(`${key}.weight`)));
      params.set(`${L}${name}_b`, await f32(get(`${key}.bias`)));
    };
    await pair('ln1', k.ln1);
    await pair('ln2', k.ln2);
    await pair('o', k.out);
    await pair('fc1', k.fc1);
    await pair('fc2', k.fc2);
    if ('packed' in k.qkv) {
      const wAll = await f32(get(`${k.qkv.packed}_weight`));
      const bAll = await f32(get(`${k.qkv.packed}_bias`));
      ['q', 'k', 'v'].forEach((n, j) => {
        params.set(`${L}${n}_w`, wAll.slice(j * width * width, (j + 1) * width * width));
        params.set(`${L}${n}_b`, bAll.slice(j * width, (j + 1) * width));
      });
    } else {
      await pair('q', k.qkv.q);
      await pair('k', k.qkv.k);
      await pair('v', k.qkv.v);
    }
  }
  params.set('lnf_w', await f32(get(`${keys.lnFinal}.weight`)));
  params.set('lnf_b', await f32(get(`${keys.lnFinal}.bias`)));
  for (let i = 0; i < layers; i++) for (const n of LAYER_PARAMS) if (!params.has(`L${i}.${n}`)) throw new ArchError(`layer ${i}: ${n} missing`);
  const projRaw = await f32(projRec);
  const proj = keys.projection.linear ? projRaw : transpose(projRaw, width, embedDim);
  return { layout: keys.layout, shape, vocab, tok: await f32(tokRec), proj, params };
}

/** A deep copy (a fresh model for one optimisation run). */
export function cloneTextWeights(w: ClipTextWeights): ClipTextWeights {
  return { ...w, tok: w.tok.slice(), params: new Map([...w.params].map(([k, v]) => [k, v.slice()])) };
}
