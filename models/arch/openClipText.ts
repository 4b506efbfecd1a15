// The open_clip text tower SD 2.x stores under `cond_stage_model.model.*` (ViT-H/14): token embedding +
// positional embedding, resblocks of nn.MultiheadAttention (in_proj rows [q; k; v]) and an exact-GELU MLP,
// causal mask, ln_final. SD2 conditions on the PENULTIMATE block's output through ln_final (ldm
// FrozenOpenCLIPEmbedder layer="penultimate"), so that is `last_hidden_state`, as in diffusers' 23-layer
// conversion; `clip_skip_1` is the full depth. Heads default to width/64 (ViT-H: 16).
// SDXL's ViT-bigG (`conditioner.embedders.1.model.*`, `withProjection`) is exported as HF
// CLIPTextModelWithProjection is (Optimum's text_encoder_2): `last_hidden_state` = ln_final of the LAST block,
// `text_embeds` = that at the first end-of-text token (argmax of the ids: EOT is the largest id, and sgm/open_clip
// take `text.argmax(-1)`) times `text_projection` [width, embed] as stored (x @ P, no transpose), and the raw
// `hidden_states.N`, of which SDXL conditions on hidden_states[-2] (sgm legacy=False: no ln_final).
import { ElemType, GraphBuilder } from '../graph';
import type { TensorRecord } from '../formats/tensorRecord';
import { attention, causalMask, layerNorm, linear } from './layers';
import { ArchError, Params } from './params';
import { textInput, textOutputs } from './textOutputs';
import type { TextOptions } from './clipText';
import type { BuiltPart } from './unet';

export function openClipTextPrefix(tensors: ReadonlyMap<string, TensorRecord>): string | undefined {
  for (const p of ['cond_stage_model.model.', 'conditioner.embedders.1.model.', 'conditioner.embedders.0.model.', 'model.', '']) if (tensors.has(`${p}transformer.resblocks.0.attn.in_proj_weight`) && tensors.has(`${p}token_embedding.weight`)) return p;
  return undefined;
}

export function buildOpenClipText(
  tensors: ReadonlyMap<string, TensorRecord>,
  o: TextOptions & { withProjection?: boolean } = {},
): BuiltPart & { layers: number; width: number; heads: number; projectionDim?: number } {
  const ft = o.fp16 ? ElemType.FLOAT16 : ElemType.FLOAT;
  const g = new GraphBuilder({ name: o.withProjection ? 'text_encoder_2' : 'text_encoder', floatType: ft });
  const prefix = o.prefix ?? openClipTextPrefix(tensors);
  if (prefix === undefined) throw new ArchError('no OpenCLIP text model (transformer.resblocks.0.attn.in_proj_weight) in the checkpoint');
  const p = Params.create(g, tensors, prefix, ft, { castF16InGraph: o.castF16InGraph });
  const [tokens, width] = p.shape('positional_embedding') as [number, number];
  const heads = o.heads ?? width / 64;
  if (!Number.isInteger(heads) || width % heads !== 0) throw new ArchError(`OpenCLIP text width ${width} does not split into ${heads} heads; give the head count with --config`);
  const layers = p.count('transformer.resblocks.', '.ln_1.weight');
  let h = g.add(textInput(p, 'token_embedding.weight', tokens, !!o.inputsEmbeds), p.get('positional_embedding'));
  const mask = causalMask(p, tokens);
  const hidden = [h];
  for (let i = 0; i < layers; i++) {
    const l = p.at(`transformer.resblocks.${i}.`);
    const a = layerNorm(l, 'ln_1', h);
    // One MatMul for q, k and v (the stored in_proj is already stacked), then three slices.
    const qkv = g.add(g.matMul(a, g.transpose(l.get('attn.in_proj_weight'), [1, 0])), l.get('attn.in_proj_bias'));
    const part = (i: number) => g.slice(qkv, [i * width], [(i + 1) * width], [-1]);
    const att = attention(l, part(0), part(1), part(2), heads, width, mask);
    h = g.add(h, linear(l, 'attn.out_proj', att));
    h = g.add(h, linear(l, 'mlp.c_proj', g.gelu(linear(l, 'mlp.c_fc', layerNorm(l, 'ln_2', h)))));
    hidden.push(h);
  }
  if (!o.withProjection) {
    textOutputs(p, 'ln_final', hidden, 2, width);
    return { g, params: p, layers, width, heads };
  }
  if (o.inputsEmbeds) throw new ArchError('the pooled projection is taken at the end-of-text token: it needs input_ids, not inputs_embeds');
  const last = textOutputs(p, 'ln_final', hidden, 1, width);
  const projectionDim = p.shape('text_projection')[1]!;
  // GatherND with batch_dims 1: row argmax(ids[b]) of last[b] → [B, width].
  const eot = g.argMax(g.cast('input_ids', ElemType.FLOAT), 1, true);
  const pooled = g.op('GatherND', [last, eot], { batch_dims: 1 });
  g.output('text_embeds', ft, ['batch', projectionDim], g.matMul(pooled, p.get('text_projection')));
  return { g, params: p, layers, width, heads, projectionDim };
}
