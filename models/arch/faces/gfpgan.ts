// GFPGAN v1.3 / v1.4 (`GFPGANv1Clean`, gfpgan/archs/gfpganv1_clean_arch.py + stylegan2_clean_arch.py, as
// GFPGANer(arch='clean') builds it for A1111): a U-Net encoder/decoder whose bottleneck gives one style vector
// per StyleGAN layer (different_w, input_is_latent) and whose decoder levels give SFT scale/shift maps; a
// StyleGAN2 decoder with modulated convs consumes both. Widths, sizes and the number of levels come from the
// weights (so channel_multiplier 1 or 2 and any narrow work).
// Noise: the decoder's `noises.noiseN` buffers stored in the file (randomize_noise=False), so a face restores the
// same way every time; A1111 calls the net with randomize_noise=True, i.e. fresh noise per call.
// Input `image` [1, 3, S, S]: RGB in [-1, 1] ((x/255 − 0.5)/0.5); output `restored` (same range, not clamped),
// then `style_code` [1, layers, style].
import { ElemType, GraphBuilder } from '../../graph';
import type { TensorRecord } from '../../formats/tensorRecord';
import { conv, linear } from '../layers';
import { ArchError, Params } from '../params';
import type { BuiltPart } from '../unet';

const lrelu = (g: GraphBuilder, x: string): string => g.leakyRelu(x, 0.2);

/** F.interpolate(scale_factor=s, mode='bilinear', align_corners=False). */
function bilinear(g: GraphBuilder, x: string, s: number): string {
  return g.resize(x, { mode: 'linear', scales: [1, 1, s, s], coordinateTransformationMode: 'pytorch_half_pixel' });
}

/** gfpganv1_clean_arch.ResBlock: conv → lrelu → resample → conv → lrelu, plus a resampled 1×1 skip. */
function resBlock(p: Params, x: string, s: number): string {
  const g = p.g;
  const h = lrelu(g, conv(p, 'conv2', bilinear(g, lrelu(g, conv(p, 'conv1', x)), s)));
  return g.add(h, conv(p, 'skip', bilinear(g, x, s)));
}

/**
 * ModulatedConv2d for batch 1, as conv(x · s, W) · d rather than conv(x, W · s · d): the same sums, but the
 * kernel stays a constant ORT can pre-pack. s = modulation(style) per input channel; d = rsqrt(Σ (W·s)² + 1e-8)
 * per output channel when demodulating.
 */
function modulatedConv(p: Params, x: string, style: string, o: { demodulate: boolean; upsample: boolean }): string {
  const g = p.g;
  const [, out, inCh, k] = p.shape('modulated_conv.weight') as [number, number, number, number, number];
  const w = g.reshape(p.get('modulated_conv.weight'), [out, inCh, k, k]);
  const s = linear(p, 'modulated_conv.modulation', style); // [1, in]
  const input = o.upsample ? bilinear(g, x, 2) : x;
  const y = g.conv(g.mul(input, g.reshape(s, [1, inCh, 1, 1])), w, undefined, { kernelShape: [k, k], pads: [k >> 1, k >> 1, k >> 1, k >> 1] });
  if (!o.demodulate) return y;
  const wSq = g.op('ReduceSum', [g.mul(w, w), g.int64Const([2, 3])], { keepdims: 0 }); // [out, in]
  const energy = g.matMul(g.mul(s, s), g.transpose(wSq, [1, 0])); // [1, out]
  const demod = g.div(g.floatConst(1), g.sqrt(g.add(energy, g.floatConst(1e-8))));
  return g.mul(y, g.reshape(demod, [1, out, 1, 1]));
}

/** StyleConv: modulated conv ×√2, + strength · noise, + bias, LeakyReLU(0.2). */
function styleConv(p: Params, x: string, style: string, noise: string | undefined, upsample: boolean): string {
  const g = p.g;
  let y = g.mul(modulatedConv(p, x, style, { demodulate: true, upsample }), g.floatConst(Math.SQRT2));
  if (noise !== undefined) y = g.add(y, g.mul(p.get('weight'), noise));
  return lrelu(g, g.add(y, p.get('bias')));
}

/** ToRGB: 1×1 modulated conv without demodulation, + bias, + the bilinearly upsampled previous RGB. */
function toRgb(p: Params, x: string, style: string, skip: string | undefined): string {
  const g = p.g;
  const y = g.add(modulatedConv(p, x, style, { demodulate: false, upsample: false }), p.get('bias'));
  return skip === undefined ? y : g.add(y, bilinear(g, skip, 2));
}

export function isGfpganClean(keys: { has(key: string): boolean }): boolean {
  return keys.has('conv_body_first.weight') && keys.has('final_linear.weight') && keys.has('stylegan_decoder.style_conv1.modulated_conv.weight');
}

export interface GfpganInfo {
  size: number;
  styleDim: number;
  latents: number;
  sftHalf: boolean;
}

export function buildGfpgan(tensors: ReadonlyMap<string, TensorRecord>, o: { zeroNoise?: boolean } = {}): BuiltPart & { info: GfpganInfo } {
  const ft = ElemType.FLOAT;
  const g = new GraphBuilder({ name: 'gfpgan_v1_clean', floatType: ft });
  const p = Params.create(g, tensors, '', ft);
  if (!isGfpganClean(tensors)) throw new ArchError('not a GFPGANv1Clean state dict (no conv_body_first / final_linear / stylegan_decoder.style_conv1)');
  const levels = p.count('conv_body_down.', '.conv1.weight');
  const ups = p.count('conv_body_up.', '.conv1.weight');
  if (levels < 1 || ups !== levels) throw new ArchError(`GFPGAN: ${levels} down and ${ups} up blocks, expected the same number`);
  const size = 4 * 2 ** levels;
  const dec = p.at('stylegan_decoder.');
  const styleDim = dec.shape('style_conv1.modulated_conv.modulation.weight')[1]!;
  const linOut = p.shape('final_linear.weight')[0]!;
  const latents = linOut / styleDim;
  if (!Number.isInteger(latents) || (latents !== 1 && latents !== 2 * levels + 2)) {
    throw new ArchError(`GFPGAN final_linear gives ${linOut} values, not 1 or ${2 * levels + 2} styles of ${styleDim}`);
  }

  const x = g.input('image', ft, [1, 3, size, size]);
  // U-Net encoder: the skips are used deepest first.
  let feat = lrelu(g, conv(p, 'conv_body_first', x));
  const skips: string[] = [];
  for (let i = 0; i < levels; i++) {
    feat = resBlock(p.at(`conv_body_down.${i}.`), feat, 0.5);
    skips.unshift(feat);
  }
  feat = lrelu(g, conv(p, 'final_conv', feat));
  const styleCode = g.reshape(linear(p, 'final_linear', g.reshape(feat, [1, -1])), [1, latents, styleDim]);
  const latent = (j: number): string => g.gather(styleCode, g.int64Const(latents === 1 ? 0 : j, []), 1);
  const conditions: string[] = [];
  for (let i = 0; i < levels; i++) {
    feat = resBlock(p.at(`conv_body_up.${i}.`), g.add(feat, skips[i]!), 2);
    const sft = (name: string): string => conv(p, `${name}.${i}.2`, g.leakyRelu(conv(p, `${name}.${i}.0`, feat), 0.2));
    conditions.push(sft('condition_scale'), sft('condition_shift'));
  }

  const noise = (j: number): string | undefined => (o.zeroNoise ? undefined : dec.get(`noises.noise${j}`));
  let out = dec.get('constant_input.weight');
  out = styleConv(dec.at('style_conv1.'), out, latent(0), noise(0), false);
  let skip = toRgb(dec.at('to_rgb1.'), out, latent(1), undefined);
  let sftHalf = false;
  for (let k = 0; k < levels; k++) {
    const i = 2 * k + 1;
    const convA = dec.at(`style_convs.${2 * k}.`);
    out = styleConv(convA, out, latent(i), noise(i), true);
    const channels = convA.shape('modulated_conv.weight')[1]!;
    const condCh = p.shape(`condition_scale.${k}.2.weight`)[0]!;
    const [scale, shift] = [conditions[2 * k]!, conditions[2 * k + 1]!];
    if (condCh === channels) out = g.add(g.mul(out, scale), shift);
    else if (2 * condCh === channels) {
      // sft_half: the first half passes, the second half is modulated.
      sftHalf = true;
      const h = channels / 2;
      const same = g.slice(out, [0], [h], [1]);
      const mod = g.slice(out, [h], [channels], [1]);
      out = g.concat([same, g.add(g.mul(mod, scale), shift)], 1);
    } else throw new ArchError(`GFPGAN level ${k}: SFT maps of ${condCh} channels for ${channels} decoder channels`);
    out = styleConv(dec.at(`style_convs.${2 * k + 1}.`), out, latent(i + 1), noise(i + 1), false);
    skip = toRgb(dec.at(`to_rgbs.${k}.`), out, latent(i + 2), skip);
  }
  g.output('restored', ft, [1, 3, size, size], skip);
  g.output('style_code', ft, [1, latents, styleDim], styleCode);
  return { g, params: p, info: { size, styleDim, latents, sftHalf } };
}
