// CLIP's text tower with its projection: `encode_text` (OpenAI) / `get_text_features` (HF), either key layout.
// Token + position embeddings, causal pre-LN layers, final LayerNorm, the hidden state at the end-of-text token
// (`text.argmax(-1)`: the caller passes its index), then the projection. Not normalised. The sequence length is
// free up to the model's context (77): the causal mask means the end-of-text token's state does not depend on the
// padding after it, so short texts (interrogate's term lists) can run without it.
import { ElemType, GraphBuilder } from '../../graph';
import type { TensorRecord } from '../../formats/tensorRecord';
import { layerNorm } from '../layers';
import { ArchError, Params } from '../params';
import type { BuiltPart } from '../unet';
import { clipTextKeys, countLayers, type ClipLayout } from './layout';
import { clipHeads, clipLayer, project, projectionDim } from './tower';

export interface ClipTextInfo {
  layout: ClipLayout;
  width: number;
  layers: number;
  heads: number;
  context: number;
  vocab: number;
  embedDim: number;
}

export const hasClipText = (t: ReadonlyMap<string, TensorRecord>): boolean => clipTextKeys(t) !== undefined;

/** Inputs: `input_ids` int64 [B, T] (T ≤ context), `eot_index` int64 [B]. Output: `text_embeds` [B, E]. */
export function buildClipTextFeatures(tensors: ReadonlyMap<string, TensorRecord>): BuiltPart & { info: ClipTextInfo } {
  const keys = clipTextKeys(tensors);
  if (!keys) throw new ArchError('no CLIP text tower with its projection (token_embedding + text_projection, or text_model.* + text_projection.weight)');
  const g = new GraphBuilder({ name: 'clip_text_features' });
  const root = Params.create(g, tensors, '');
  const p = root.at(keys.prefix);
  const [vocab, width] = p.shape(keys.tokens) as [number, number];
  const [context] = p.shape(keys.positions) as [number, number];
  const heads = clipHeads(width);
  const layers = countLayers(tensors, keys);
  const embedDim = projectionDim(root, keys.projection);

  const ids = g.input('input_ids', ElemType.INT64, ['batch', 'sequence']);
  const eot = g.input('eot_index', ElemType.INT64, ['batch']);
  const T = g.slice(g.shape(ids), [1], [2]);
  const zero = g.int64Const([0]);
  const positions = g.slice(p.get(keys.positions), zero, T, [0]);
  const full = new Float32Array(context * context);
  for (let i = 0; i < context; i++) for (let j = i + 1; j < context; j++) full[i * context + j] = -Infinity;
  const mask = g.slice(g.slice(g.floatConst(full, [context, context]), zero, T, [0]), zero, T, [1]);
  let h = g.add(g.gather(p.get(keys.tokens), ids, 0), positions);
  for (let i = 0; i < layers; i++) h = clipLayer(p, keys.layer(i), h, heads, width, mask);
  h = layerNorm(p, keys.lnFinal, h);
  // The state at each text's end token: one row per batch entry ([B, W]).
  const rows = g.op('GatherElements', [h, g.expand(g.reshape(eot, [-1, 1, 1]), g.concat([g.slice(g.shape(ids), [0], [1]), g.int64Const([1, width])], 0))], { axis: 1 });
  const pooled = g.squeeze(rows, [1]);
  g.output('text_embeds', ElemType.FLOAT, ['batch', embedDim], project(root, keys.projection, pooled));
  return { g, params: root, info: { layout: keys.layout, width, layers, heads, context, vocab, embedDim } };
}
