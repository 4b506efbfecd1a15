// BLIP's caption model (A1111's `models/BLIP/model_base_caption_capfilt_large.pth`, salesforce/BLIP blip.py
// BLIP_Decoder) as two graphs:
//   encoder: `visual_encoder.*` = BLIP models/vit.py VisionTransformer (16-px patch conv with bias, class token
//     prepended, pos_embed added, pre-LN blocks with a packed qkv Linear and exact GELU, LayerNorm eps 1e-6, final
//     norm; every token is kept) → `image_embeds` [1, N, W], plus each decoder layer's cross-attention keys and
//     values [1, heads, N, d] (they only depend on the image, so they are computed once per caption);
//   decoder step: `text_decoder.*` = models/med.py BertLMHeadModel in "multimodal" mode (word + absolute position
//     embeddings, LayerNorm eps 1e-12; per layer post-LN causal self-attention, cross-attention to the image, GELU
//     MLP; the LM head's transform and the decoder tied to the word embeddings plus its own bias) → the logits of
//     the LAST position [B, vocab] for `input_ids` [B, T]. The cross keys/values broadcast over the beams.
// Heads are width / 64 (BLIP base: 12 and 12; the checkpoint cannot say), unless given.
import { ElemType, GraphBuilder } from '../graph';
import type { TensorRecord } from '../formats/tensorRecord';
import { attention, layerNorm, linear } from './layers';
import { ArchError, Params } from './params';
import type { BuiltPart } from './unet';

export interface BlipInfo {
  visionWidth: number;
  visionLayers: number;
  visionHeads: number;
  patch: number;
  /** Input side in pixels (384 for A1111's file). */
  size: number;
  /** Image tokens, class token included. */
  imageTokens: number;
  hidden: number;
  layers: number;
  heads: number;
  vocab: number;
  maxPositions: number;
}

export interface BlipOptions {
  visionHeads?: number;
  heads?: number;
  /** Extra outputs of intermediate values (tests). */
  trace?: boolean;
}

const V = 'visual_encoder.';
const D = 'text_decoder.';

export const isBlipCaption = (t: ReadonlyMap<string, TensorRecord>): boolean => t.has(`${V}patch_embed.proj.weight`) && t.has(`${D}bert.embeddings.word_embeddings.weight`);

export function inspectBlip(t: ReadonlyMap<string, TensorRecord>, o: BlipOptions = {}): BlipInfo {
  if (!isBlipCaption(t)) throw new ArchError('not a BLIP caption model (visual_encoder.patch_embed + text_decoder.bert.* expected)');
  const shape = (k: string): number[] => t.get(k)!.shape;
  const [visionWidth, , patch] = shape(`${V}patch_embed.proj.weight`) as [number, number, number, number];
  const imageTokens = shape(`${V}pos_embed`)[1]!;
  const grid = Math.round(Math.sqrt(imageTokens - 1));
  if (grid * grid + 1 !== imageTokens) throw new ArchError(`${V}pos_embed: ${imageTokens} positions is not 1 + a square grid`);
  let visionLayers = 0;
  while (t.has(`${V}blocks.${visionLayers}.norm1.weight`)) visionLayers++;
  const [vocab, hidden] = shape(`${D}bert.embeddings.word_embeddings.weight`) as [number, number];
  let layers = 0;
  while (t.has(`${D}bert.encoder.layer.${layers}.attention.self.query.weight`)) layers++;
  if (!t.has(`${D}bert.encoder.layer.0.crossattention.self.key.weight`)) throw new ArchError('the text decoder has no cross-attention (not a caption decoder)');
  const heads = o.heads ?? hidden / 64;
  const visionHeads = o.visionHeads ?? visionWidth / 64;
  if (!Number.isInteger(heads) || !Number.isInteger(visionHeads)) throw new ArchError(`BLIP widths ${visionWidth} / ${hidden} do not split into 64-wide heads`);
  return { visionWidth, visionLayers, visionHeads, patch, size: grid * patch, imageTokens, hidden, layers, heads, vocab, maxPositions: shape(`${D}bert.embeddings.position_embeddings.weight`)[0]! };
}

/** [B, N, W] → [B, heads, N, d]. */
function splitHeads(g: GraphBuilder, x: string, heads: number, d: number): string {
  return g.transpose(g.reshape(x, [0, 0, heads, d]), [0, 2, 1, 3]);
}

export function buildBlipEncoder(t: ReadonlyMap<string, TensorRecord>, o: BlipOptions = {}): BuiltPart & { info: BlipInfo } {
  const info = inspectBlip(t, o);
  const g = new GraphBuilder({ name: 'blip_encoder' });
  const root = Params.create(g, t, '');
  const p = root.at(V);
  const W = info.visionWidth;
  const image = g.input('image', ElemType.FLOAT, [1, 3, info.size, info.size]);
  const patches = g.conv(image, p.get('patch_embed.proj.weight'), p.get('patch_embed.proj.bias'), { kernelShape: [info.patch, info.patch], strides: [info.patch, info.patch] });
  let x = g.concat([p.get('cls_token'), g.transpose(g.reshape(patches, [0, W, -1]), [0, 2, 1])], 1);
  x = g.add(x, p.get('pos_embed'));
  for (let i = 0; i < info.visionLayers; i++) {
    const b = p.at(`blocks.${i}.`);
    const a = layerNorm(b, 'norm1', x, 1e-6);
    const qkv = linear(b, 'attn.qkv', a);
    const [q, k, v] = [0, 1, 2].map((j) => g.slice(qkv, [j * W], [(j + 1) * W], [-1])) as [string, string, string];
    x = g.add(x, linear(b, 'attn.proj', attention(b, q, k, v, info.visionHeads, W)));
    x = g.add(x, linear(b, 'mlp.fc2', g.gelu(linear(b, 'mlp.fc1', layerNorm(b, 'norm2', x, 1e-6)))));
    if (o.trace && i === 0) g.output('block0', ElemType.FLOAT, [1, info.imageTokens, W], x);
  }
  const embeds = layerNorm(p, 'norm', x, 1e-6);
  g.output('image_embeds', ElemType.FLOAT, [1, info.imageTokens, W], embeds);
  const d = info.hidden / info.heads;
  for (let i = 0; i < info.layers; i++) {
    const c = root.at(`${D}bert.encoder.layer.${i}.crossattention.self.`);
    g.output(`cross_k_${i}`, ElemType.FLOAT, [1, info.heads, info.imageTokens, d], splitHeads(g, linear(c, 'key', embeds), info.heads, d));
    g.output(`cross_v_${i}`, ElemType.FLOAT, [1, info.heads, info.imageTokens, d], splitHeads(g, linear(c, 'value', embeds), info.heads, d));
  }
  return { g, params: root, info };
}

export function buildBlipDecoder(t: ReadonlyMap<string, TensorRecord>, o: BlipOptions = {}): BuiltPart & { info: BlipInfo } {
  const info = inspectBlip(t, o);
  const g = new GraphBuilder({ name: 'blip_decoder_step' });
  const root = Params.create(g, t, '');
  const p = root.at(`${D}bert.`);
  const H = info.hidden;
  const d = H / info.heads;
  const ids = g.input('input_ids', ElemType.INT64, ['beams', 'sequence']);
  const T = g.slice(g.shape(ids), [1], [2]);
  const zero = g.int64Const([0]);
  const trace = (name: string, v: string): void => {
    if (o.trace) g.output(name, ElemType.FLOAT, ['beams', 'sequence', H], v);
  };
  let x = g.add(g.gather(p.get('embeddings.word_embeddings.weight'), ids, 0), g.slice(p.get('embeddings.position_embeddings.weight'), zero, T, [0]));
  x = layerNorm(p, 'embeddings.LayerNorm', x, 1e-12);
  trace('embeddings', x);
  // get_extended_attention_mask for a decoder: (1 − causal) · −10000, sliced to the sequence.
  const P = info.maxPositions;
  const full = new Float32Array(P * P);
  for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) full[i * P + j] = -10000;
  const causal = g.slice(g.slice(g.floatConst(full, [P, P]), zero, T, [0]), zero, T, [1]);
  const scale = g.floatConst(1 / Math.sqrt(d));
  /** BertSelfOutput: LayerNorm(dense(context) + input). */
  const output = (l: Params, key: string, context: string, input: string): string => layerNorm(l, `${key}.LayerNorm`, g.add(linear(l, `${key}.dense`, context), input), 1e-12);
  for (let i = 0; i < info.layers; i++) {
    const l = p.at(`encoder.layer.${i}.`);
    const self = attention(l, linear(l, 'attention.self.query', x), linear(l, 'attention.self.key', x), linear(l, 'attention.self.value', x), info.heads, H, causal);
    const a = output(l, 'attention.output', self, x);
    trace(`layer${i}_self`, a);
    // Cross-attention on the precomputed image keys / values (no mask: every image token is attended to).
    const q = g.mul(splitHeads(g, linear(l, 'crossattention.self.query', a), info.heads, d), scale);
    const k = g.input(`cross_k_${i}`, ElemType.FLOAT, [1, info.heads, 'image_tokens', d]);
    const v = g.input(`cross_v_${i}`, ElemType.FLOAT, [1, info.heads, 'image_tokens', d]);
    const ctx = g.reshape(g.transpose(g.matMul(g.softmax(g.matMul(q, g.transpose(k, [0, 1, 3, 2])), -1), v), [0, 2, 1, 3]), [0, 0, H]);
    const c = output(l, 'crossattention.output', ctx, a);
    trace(`layer${i}_cross`, c);
    x = layerNorm(l, 'output.LayerNorm', g.add(linear(l, 'output.dense', g.gelu(linear(l, 'intermediate.dense', c))), c), 1e-12);
    trace(`layer${i}_out`, x);
  }
  const head = root.at(`${D}cls.predictions.`);
  const last = o.trace ? x : g.slice(x, [-1], [2 ** 31 - 1], [1]);
  const y = layerNorm(head, 'transform.LayerNorm', g.gelu(linear(head, 'transform.dense', last)), 1e-12);
  const decoderW = head.has('decoder.weight') ? head.get('decoder.weight') : p.get('embeddings.word_embeddings.weight');
  const bias = head.has('bias') ? head.get('bias') : head.get('decoder.bias');
  const logits = g.add(g.matMul(y, g.transpose(decoderW, [1, 0])), bias);
  if (o.trace) g.output('all_logits', ElemType.FLOAT, ['beams', 'sequence', info.vocab], logits);
  g.output('logits', ElemType.FLOAT, ['beams', info.vocab], g.squeeze(o.trace ? g.slice(logits, [-1], [2 ** 31 - 1], [1]) : logits, [1]));
  return { g, params: root, info };
}
