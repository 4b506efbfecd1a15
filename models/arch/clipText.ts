// The HF CLIPTextModel as SD 1.x stores it (`cond_stage_model.transformer.text_model.*`; also older files
// without `text_model.` and bare HF `text_model.*`): token + position embeddings, pre-LN layers with causal
// self-attention and quick_gelu MLP, final LayerNorm. Width, depth and MLP size come from the tensors; heads
// default to width/64 (ViT-L/14: 12) and can be given. `last_hidden_state` = final LN of the last layer.
import { ElemType, GraphBuilder } from '../graph';
import type { TensorRecord } from '../formats/tensorRecord';
import { attention, causalMask, layerNorm, linear, quickGelu } from './layers';
import { ArchError, Params } from './params';
import { textInput, textOutputs } from './textOutputs';
import type { BuiltPart } from './unet';

export interface TextOptions {
  prefix?: string;
  heads?: number;
  fp16?: boolean;
  /** Take `inputs_embeds` [B, 77, D] instead of `input_ids`. */
  inputsEmbeds?: boolean;
  /** fp16 checkpoint weights stay fp16 in the file and are cast in the graph (the token table is converted). */
  castF16InGraph?: boolean;
}

/** Prefixes SD1 (and SDXL's CLIP-L) files use for the CLIP text model, most common first. */
export function clipTextPrefix(tensors: ReadonlyMap<string, TensorRecord>): string | undefined {
  for (const p of ['cond_stage_model.transformer.text_model.', 'cond_stage_model.transformer.', 'conditioner.embedders.0.transformer.text_model.', 'text_model.', '']) {
    if (tensors.has(`${p}embeddings.token_embedding.weight`)) return p;
  }
  return undefined;
}

export function buildClipText(tensors: ReadonlyMap<string, TensorRecord>, o: TextOptions = {}): BuiltPart & { layers: number; width: number; heads: number } {
  const ft = o.fp16 ? ElemType.FLOAT16 : ElemType.FLOAT;
  const g = new GraphBuilder({ name: 'text_encoder', floatType: ft });
  const prefix = o.prefix ?? clipTextPrefix(tensors);
  if (prefix === undefined) throw new ArchError('no CLIP text model (embeddings.token_embedding.weight) in the checkpoint');
  const p = Params.create(g, tensors, prefix, ft, { castF16InGraph: o.castF16InGraph });
  const [tokens, width] = p.shape('embeddings.position_embedding.weight') as [number, number];
  const heads = o.heads ?? width / 64;
  if (!Number.isInteger(heads) || width % heads !== 0) throw new ArchError(`CLIP text width ${width} does not split into ${heads} heads; give the head count with --config`);
  const layers = p.count('encoder.layers.', '.layer_norm1.weight');
  let h = g.add(textInput(p, 'embeddings.token_embedding.weight', tokens, !!o.inputsEmbeds), p.get('embeddings.position_embedding.weight'));
  const mask = causalMask(p, tokens);
  const hidden = [h];
  for (let i = 0; i < layers; i++) {
    const l = p.at(`encoder.layers.${i}.`);
    const a = layerNorm(l, 'layer_norm1', h);
    const att = attention(l, linear(l, 'self_attn.q_proj', a), linear(l, 'self_attn.k_proj', a), linear(l, 'self_attn.v_proj', a), heads, width, mask);
    h = g.add(h, linear(l, 'self_attn.out_proj', att));
    h = g.add(h, linear(l, 'mlp.fc2', quickGelu(l, linear(l, 'mlp.fc1', layerNorm(l, 'layer_norm2', h)))));
    hidden.push(h);
  }
  textOutputs(p, 'final_layer_norm', hidden, 1, width);
  return { g, params: p, layers, width, heads };
}
