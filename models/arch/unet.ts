// The ldm UNetModel of SD 1.x / 2.x (CompVis openaimodel.py) and SDXL (sgm openaimodel.py: the same blocks plus
// the `label_emb` vector path), built from a checkpoint's `model.diffusion_model.*` tensors. Every structural
// number comes from the tensors: channels, levels, res blocks per level, where transformers / downsamplers /
// upsamplers sit, transformer depth per block, context width, 4 or 9 input channels, conv (SD1) or linear (SD2,
// SDXL) proj_in/out, identity or 1x1-conv skips, the vector width. Only the head split cannot be read from
// weights: SD1 uses a head COUNT (8), SD2/SDXL a head WIDTH (64); `UnetHeads` overrides either (config / yaml).
// Export names as the diffusers/Optimum exports: sample, timestep, encoder_hidden_states → out_sample, and for
// SDXL also text_embeds + time_ids (sdxlVector.ts).
import { ElemType, GraphBuilder } from '../graph';
import { attention, conv, fromTokens, groupNorm, layerNorm, linear, nearestUp2, toTokens } from './layers';
import { ArchError, Params } from './params';
import { sdxlVectorInputs, type SdxlVectorOptions } from './sdxlVector';
import { matchTokens, TOKEN_MERGING_INPUT } from './tokenMerging';
import type { TensorRecord } from '../formats/tensorRecord';

export interface UnetHeads {
  /** Fixed number of heads at every level (SD1: 8). */
  numHeads?: number;
  /** Fixed head width; heads = channels / width (SD2: 64). */
  headChannels?: number;
}

export interface UnetInfo {
  inChannels: number;
  outChannels: number;
  modelChannels: number;
  contextDim: number;
  linearProj: boolean;
  levels: number;
  transformers: number;
  heads: UnetHeads;
  /** Width of SDXL's class-embedding vector `y` (label_emb.0.0 input); 0 when the UNet has no label_emb. */
  admInChannels: number;
}

/** SD1 (conv proj) → 8 heads; SD2 (linear proj) → 64-wide heads: A1111's configs v1-inference / v2-inference. */
export function defaultHeads(linearProj: boolean): UnetHeads {
  return linearProj ? { headChannels: 64 } : { numHeads: 8 };
}

export function inspectUnet(p: Params, heads?: UnetHeads): UnetInfo {
  const [modelChannels, inChannels] = p.shape('input_blocks.0.0.weight') as [number, number];
  const outChannels = p.shape('out.2.weight')[0]!;
  const tKey = p.keys().find((k) => /transformer_blocks\.0\.attn2\.to_k\.weight$/.test(k));
  const contextDim = tKey ? p.shape(tKey)[1]! : 0;
  const projKey = p.keys().find((k) => k.endsWith('.proj_in.weight'));
  const linearProj = projKey !== undefined && p.shape(projKey).length === 2;
  let levels = 1;
  for (let n = 1; p.has(`input_blocks.${n}.0.in_layers.2.weight`) || p.has(`input_blocks.${n}.0.op.weight`); n++) {
    if (p.has(`input_blocks.${n}.0.op.weight`)) levels++;
  }
  const transformers = p.keys().filter((k) => k.endsWith('.proj_in.weight')).length;
  const admInChannels = p.has('label_emb.0.0.weight') ? p.shape('label_emb.0.0.weight')[1]! : 0;
  return { inChannels, outChannels, modelChannels, contextDim, linearProj, levels, transformers, heads: heads ?? defaultHeads(linearProj), admInChannels };
}

function headsFor(h: UnetHeads, channels: number, where: string): number {
  const n = h.numHeads ?? channels / (h.headChannels ?? 64);
  if (!Number.isInteger(n) || n < 1 || channels % n !== 0) {
    throw new ArchError(`${where}: ${channels} channels cannot be split into heads (${JSON.stringify(h)}); give the head count with --config`);
  }
  return n;
}

class UnetBuilder {
  readonly g: GraphBuilder;
  /** Current resolution level while building: 0 at the latent's size, +1 per downsampler. */
  private level = 0;
  constructor(
    readonly p: Params,
    readonly info: UnetInfo,
    /** The token merging ratio input, when the graph merges tokens (tomesd max_downsample 1: level 0 only). */
    readonly tokenMergingRatio?: string,
  ) {
    this.g = p.g;
  }

  /**
   * Sinusoidal embedding of the continuous timestep: [cos(t·f), sin(t·f)], f = exp(-ln(1e4)·i/half). Always in
   * fp32 (as diffusers' get_timestep_embedding): in fp16, t·f near t = 999 is only good to ±0.25 rad.
   */
  timestepEmbedding(t: string): string {
    const g = this.g;
    const half = this.info.modelChannels / 2;
    const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
    const fp16 = g.floatType === ElemType.FLOAT16;
    const args = g.mul(g.unsqueeze(fp16 ? g.cast(t, ElemType.FLOAT) : t, [1]), g.f32Const(freqs, [1, half]));
    const emb = g.concat([g.cos(args), g.sin(args)], 1);
    return fp16 ? g.cast(emb, ElemType.FLOAT16) : emb;
  }

  /** `emb`: the time embedding after emb_layers.0 (SiLU). */
  resBlock(p: Params, x: string, emb: string): string {
    const g = this.g;
    let h = conv(p, 'in_layers.2', g.silu(groupNorm(p, 'in_layers.0', x, 1e-5)));
    const e = linear(p, 'emb_layers.1', emb);
    h = g.add(h, g.unsqueeze(e, [2, 3]));
    h = conv(p, 'out_layers.3', g.silu(groupNorm(p, 'out_layers.0', h, 1e-5)));
    const skip = p.has('skip_connection.weight') ? conv(p, 'skip_connection', x) : x;
    return g.add(skip, h);
  }

  crossAttention(p: Params, x: string, ctx: string, heads: number, channels: number): string {
    const q = linear(p, 'to_q', x);
    const k = linear(p, 'to_k', ctx);
    const v = linear(p, 'to_v', ctx);
    return linear(p, 'to_out.0', attention(p, q, k, v, heads, channels));
  }

  /** GEGLU feed-forward: proj gives [value | gate]; value · gelu(gate) (exact erf GELU). */
  feedForward(p: Params, x: string): string {
    const g = this.g;
    const inner = p.shape('net.0.proj.weight')[0]! / 2;
    const proj = linear(p, 'net.0.proj', x);
    const value = g.slice(proj, [0], [inner], [-1]);
    const gate = g.slice(proj, [inner], [2 * inner], [-1]);
    return linear(p, 'net.2', g.mul(value, g.gelu(gate)));
  }

  spatialTransformer(p: Params, x: string, ctx: string, where: string): string {
    const g = this.g;
    const channels = p.shape('norm.weight')[0]!;
    const heads = headsFor(this.info.heads, channels, where);
    const normed = groupNorm(p, 'norm', x, 1e-6);
    let h = this.info.linearProj ? linear(p, 'proj_in', toTokens(p, normed)) : toTokens(p, conv(p, 'proj_in', normed));
    const depth = p.count('transformer_blocks.', '.norm1.weight');
    const merging = this.tokenMergingRatio !== undefined && this.level === 0;
    for (let d = 0; d < depth; d++) {
      const b = p.at(`transformer_blocks.${d}.`);
      if (merging) {
        // A1111's tomesd patch: merge before self-attention, unmerge after (not cross-attention or the MLP).
        const m = matchTokens(g, h, x, this.tokenMergingRatio!);
        const n1 = m.merge(layerNorm(b, 'norm1', h));
        h = g.add(h, m.unmerge(this.crossAttention(b.at('attn1.'), n1, n1, heads, channels)));
      } else {
        const n1 = layerNorm(b, 'norm1', h);
        h = g.add(h, this.crossAttention(b.at('attn1.'), n1, n1, heads, channels));
      }
      h = g.add(h, this.crossAttention(b.at('attn2.'), layerNorm(b, 'norm2', h), ctx, heads, channels));
      h = g.add(h, this.feedForward(b.at('ff.'), layerNorm(b, 'norm3', h)));
    }
    const out = this.info.linearProj ? fromTokens(p, linear(p, 'proj_out', h), x) : conv(p, 'proj_out', fromTokens(p, h, x));
    return g.add(out, x);
  }

  /** One input/output/middle block: the sub-modules `.0`, `.1`, `.2` read by what their keys hold. */
  block(p: Params, x: string, emb: string, ctx: string, where: string): string {
    let h = x;
    for (let i = 0; i < 3; i++) {
      const s = p.at(`${i}.`);
      if (s.has('in_layers.2.weight')) h = this.resBlock(s, h, emb);
      else if (s.has('norm.weight') && s.has('proj_in.weight')) h = this.spatialTransformer(s, h, ctx, `${where}.${i}`);
      else if (s.has('op.weight')) {
        h = conv(s, 'op', h, { stride: 2 });
        this.level++;
      } else if (s.has('conv.weight')) {
        h = conv(s, 'conv', nearestUp2(s, h));
        this.level--;
      }
      else if (i === 0) throw new ArchError(`${p.prefix}0: not a ResBlock, transformer, downsample or upsample`);
    }
    return h;
  }

  /** `y`: SDXL's vector (pooled text + size embeddings), through label_emb and added to the time embedding. */
  build(x: string, t: string, ctx: string, y?: string): string {
    const { g, p } = this;
    const temb = this.timestepEmbedding(t);
    let emb = linear(p, 'time_embed.2', g.silu(linear(p, 'time_embed.0', temb)));
    if (y !== undefined) emb = g.add(emb, linear(p, 'label_emb.0.2', g.silu(linear(p, 'label_emb.0.0', y))));
    // emb_layers start with SiLU: computed once here rather than in every ResBlock.
    const embAct = g.silu(emb);
    const skips: string[] = [];
    let h = conv(p, 'input_blocks.0.0', x);
    skips.push(h);
    for (let n = 1; p.has(`input_blocks.${n}.0.in_layers.2.weight`) || p.has(`input_blocks.${n}.0.op.weight`); n++) {
      h = this.block(p.at(`input_blocks.${n}.`), h, embAct, ctx, `input_blocks.${n}`);
      skips.push(h);
    }
    h = this.block(p.at('middle_block.'), h, embAct, ctx, 'middle_block');
    for (let n = 0; p.has(`output_blocks.${n}.0.in_layers.2.weight`); n++) {
      const skip = skips.pop();
      if (skip === undefined) throw new ArchError(`output_blocks.${n}: more output blocks than skip connections`);
      h = this.block(p.at(`output_blocks.${n}.`), g.concat([h, skip], 1), embAct, ctx, `output_blocks.${n}`);
    }
    if (skips.length) throw new ArchError(`${skips.length} skip connections left unused: input and output blocks do not match`);
    return conv(p, 'out.2', g.silu(groupNorm(p, 'out.0', h, 1e-5)));
  }
}

export interface BuiltPart {
  g: GraphBuilder;
  params: Params;
}

export interface UnetBuildOptions {
  prefix?: string;
  heads?: UnetHeads;
  fp16?: boolean;
  /** fp16 checkpoint weights stay fp16 in the file and are cast in the graph (Params castF16InGraph). */
  castF16InGraph?: boolean;
  /** SDXL (a UNet with label_emb): how `y` is assembled from text_embeds + time_ids; required then. */
  sdxl?: SdxlVectorOptions;
  /** The graph merges tokens (tokenMerging.ts) by the ratio given in the `token_merging_ratio` input. */
  tokenMerging?: boolean;
  /** Linear and Conv layers with int8 weights (int8.ts), written as a variant of the plain graph (unetVariant.ts). */
  int8?: boolean;
}

/**
 * The UNet graph. `tensors` is the checkpoint's state dict; `prefix` where the UNet lives in it.
 * fp16 builds take and give float16 (GPU providers); fp32 for CPU. `tokenMerging`: the graph merges tokens
 * (tokenMerging.ts) by the ratio given in the `token_merging_ratio` input; `int8`: Linear and Conv layers with int8
 * weights (int8.ts), written as a variant of the plain graph (unetVariant.ts).
 */
export function buildUnet(tensors: ReadonlyMap<string, TensorRecord>, o: UnetBuildOptions = {}): BuiltPart & { info: UnetInfo } {
  const ft = o.fp16 ? ElemType.FLOAT16 : ElemType.FLOAT;
  const g = new GraphBuilder({ name: 'unet', floatType: ft, ...(o.int8 ? { domains: { 'com.microsoft': 1 } } : {}) });
  const p = Params.create(g, tensors, o.prefix ?? 'model.diffusion_model.', ft, { castF16InGraph: o.castF16InGraph, int8: o.int8 });
  const info = inspectUnet(p, o.heads);
  const x = g.input('sample', ft, ['batch', info.inChannels, 'height', 'width']);
  const t = g.input('timestep', ft, ['batch']);
  const ctx = g.input('encoder_hidden_states', ft, ['batch', 'sequence', info.contextDim]);
  let y: string | undefined;
  if (info.admInChannels > 0) {
    if (!o.sdxl) throw new ArchError(`${p.prefix}label_emb: an SDXL UNet needs the pooled text width to split its ${info.admInChannels}-wide vector`);
    y = sdxlVectorInputs(g, info.admInChannels, o.sdxl);
  }
  // Token merging adds a float64 [1] input with the ratio (0 = the unmerged graph's result, exactly), after the
  // diffusers contract's inputs.
  const ratio = o.tokenMerging ? g.input(TOKEN_MERGING_INPUT, ElemType.DOUBLE, [1]) : undefined;
  const out = new UnetBuilder(p, info, ratio).build(x, t, ctx, y);
  g.output('out_sample', ft, ['batch', info.outChannels, 'height', 'width'], out);
  return { g, params: p, info };
}
