// The KL autoencoder of SD 1.x / 2.x (CompVis ldm model.py Encoder/Decoder + AutoencoderKL's quant convs), from
// `first_stage_model.*` (checkpoints) or bare `encoder.*`/`decoder.*` keys (separate VAE files). Channels,
// levels, res blocks per level and shortcut convs come from the tensors. GroupNorm eps is 1e-6 throughout;
// the encoder's downsample pads right/bottom only (F.pad(0,1,0,1)) before a stride-2 conv with no padding.
// Encoder: `sample` ([-1,1] image) → `latent_parameters` (mean ++ logvar, 2×z channels, Optimum's name; the
// caller samples with its own seeded noise) or `latent_sample` = the mean. Decoder: `latent_sample` (already
// divided by the scaling factor) → `sample`.
import { ElemType, GraphBuilder } from '../graph';
import type { TensorRecord } from '../formats/tensorRecord';
import { attention, conv, fromTokens, groupNorm, linear, nearestUp2, toTokens } from './layers';
import { Params } from './params';
import type { BuiltPart } from './unet';

const EPS = 1e-6;

function resnet(p: Params, x: string): string {
  const g = p.g;
  let h = conv(p, 'conv1', g.silu(groupNorm(p, 'norm1', x, EPS)));
  h = conv(p, 'conv2', g.silu(groupNorm(p, 'norm2', h, EPS)));
  const skip = p.has('nin_shortcut.weight') ? conv(p, 'nin_shortcut', x) : x;
  return g.add(skip, h);
}

/** Single-head self-attention over pixels; q/k/v/proj_out are 1x1 convs (ldm) or Linear (diffusers-style files). */
function attnBlock(p: Params, x: string): string {
  const g = p.g;
  const c = p.shape('q.weight')[0]!;
  const h = groupNorm(p, 'norm', x, EPS);
  const proj = (key: string, v: string): string => (p.shape(`${key}.weight`).length === 4 ? toTokens(p, conv(p, key, v)) : linear(p, key, toTokens(p, v)));
  const a = attention(p, proj('q', h), proj('k', h), proj('v', h), 1, c);
  const out = p.shape('proj_out.weight').length === 4 ? conv(p, 'proj_out', fromTokens(p, a, x)) : fromTokens(p, linear(p, 'proj_out', a), x);
  return g.add(x, out);
}

function mid(p: Params, h: string): string {
  h = resnet(p.at('block_1.'), h);
  if (p.has('attn_1.q.weight')) h = attnBlock(p.at('attn_1.'), h);
  return resnet(p.at('block_2.'), h);
}

function encoder(p: Params, x: string): string {
  const g = p.g;
  let h = conv(p, 'conv_in', x);
  for (let i = 0; p.has(`down.${i}.block.0.conv1.weight`); i++) {
    const level = p.at(`down.${i}.`);
    for (let j = 0; level.has(`block.${j}.conv1.weight`); j++) {
      h = resnet(level.at(`block.${j}.`), h);
      if (level.has(`attn.${j}.q.weight`)) h = attnBlock(level.at(`attn.${j}.`), h);
    }
    if (level.has('downsample.conv.weight')) h = conv(level, 'downsample.conv', h, { stride: 2, pads: [0, 0, 1, 1] });
  }
  h = mid(p.at('mid.'), h);
  return conv(p, 'conv_out', g.silu(groupNorm(p, 'norm_out', h, EPS)));
}

function decoder(p: Params, z: string): string {
  const g = p.g;
  let h = mid(p.at('mid.'), conv(p, 'conv_in', z));
  const levels = p.count('up.', '.block.0.conv1.weight');
  for (let i = levels - 1; i >= 0; i--) {
    const level = p.at(`up.${i}.`);
    for (let j = 0; level.has(`block.${j}.conv1.weight`); j++) {
      h = resnet(level.at(`block.${j}.`), h);
      if (level.has(`attn.${j}.q.weight`)) h = attnBlock(level.at(`attn.${j}.`), h);
    }
    if (level.has('upsample.conv.weight')) h = conv(level, 'upsample.conv', nearestUp2(level, h));
  }
  return conv(p, 'conv_out', g.silu(groupNorm(p, 'norm_out', h, EPS)));
}

/** Where the VAE lives in a state dict: `first_stage_model.` in checkpoints, nothing in VAE files. */
export function vaePrefix(tensors: ReadonlyMap<string, TensorRecord>): string {
  if (tensors.has('first_stage_model.encoder.conv_in.weight') || tensors.has('first_stage_model.decoder.conv_in.weight')) return 'first_stage_model.';
  return '';
}

export function buildVaeEncoder(tensors: ReadonlyMap<string, TensorRecord>, o: { prefix?: string; output?: 'parameters' | 'mean' } = {}): BuiltPart {
  // The VAE stays fp32 even in fp16 builds: SD's VAE overflows in fp16 (A1111's NaN check exists for this), and
  // SDXL's does so worse (its "fp16-fix" VAE exists for that): fp32 here makes the stock SDXL VAE safe.
  const ft = ElemType.FLOAT;
  const g = new GraphBuilder({ name: 'vae_encoder', floatType: ft });
  const p = Params.create(g, tensors, o.prefix ?? vaePrefix(tensors), ft);
  const inCh = p.shape('encoder.conv_in.weight')[1]!;
  const x = g.input('sample', ft, ['batch', inCh, 'height', 'width']);
  const moments = conv(p, 'quant_conv', encoder(p.at('encoder.'), x));
  const z2 = p.shape('quant_conv.weight')[0]!;
  if (o.output === 'mean') g.output('latent_sample', ft, ['batch', z2 / 2, 'latent_height', 'latent_width'], g.slice(moments, [0], [z2 / 2], [1]));
  else g.output('latent_parameters', ft, ['batch', z2, 'latent_height', 'latent_width'], moments);
  return { g, params: p };
}

export function buildVaeDecoder(tensors: ReadonlyMap<string, TensorRecord>, o: { prefix?: string } = {}): BuiltPart {
  const ft = ElemType.FLOAT;
  const g = new GraphBuilder({ name: 'vae_decoder', floatType: ft });
  const p = Params.create(g, tensors, o.prefix ?? vaePrefix(tensors), ft);
  const z = p.shape('post_quant_conv.weight')[1]!;
  const outCh = p.shape('decoder.conv_out.weight')[0]!;
  const x = g.input('latent_sample', ft, ['batch', z, 'latent_height', 'latent_width']);
  const out = decoder(p.at('decoder.'), conv(p, 'post_quant_conv', x));
  g.output('sample', ft, ['batch', outCh, 'height', 'width'], out);
  return { g, params: p };
}
