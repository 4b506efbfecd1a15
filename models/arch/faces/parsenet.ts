// facexlib's face parsing network (`parsing_parsenet.pth`, facexlib/parsing/parsenet.py from PSFRGAN), which
// FaceRestoreHelper(use_parse=True) runs on each restored face to mask the paste-back as A1111 does:
//   encoder (ConvLayer, then stride-2 ResidualBlocks) → feat + body(feat) (ResidualBlocks) → decoder (nearest ×2
//   ResidualBlocks) → out_mask_conv (19 classes) and out_img_conv.
// Every ConvLayer reflection-pads by ceil((k − 1)/2) and convolves without padding; 'down' is a stride-2 conv,
// 'up' a nearest ×2 before the pad. BatchNorm where the keys have one (the residual branches), LeakyReLU(0.2)
// after the first conv of each residual branch only. Widths and depths come from the keys.
// Input `image` [1, 3, S, S] RGB in [-1, 1] (as the restorers); outputs `parsing` [1, 19, S, S] (class logits;
// the caller takes the arg-max) and `image_out`.
import { ElemType, GraphBuilder } from '../../graph';
import type { TensorRecord } from '../../formats/tensorRecord';
import { batchNorm, nearestUp2 } from '../layers';
import { ArchError, Params } from '../params';
import type { BuiltPart } from '../unet';

type Scale = 'none' | 'down' | 'up';

/** parsenet.ConvLayer: (nearest ×2) → reflection pad → conv (stride 2 for 'down') → BN? → LeakyReLU(0.2)? */
function convLayer(p: Params, x: string, scale: Scale, relu: boolean): string {
  const g = p.g;
  const [, , k] = p.shape('conv2d.weight') as [number, number, number, number];
  const pad = Math.ceil((k - 1) / 2);
  let h = scale === 'up' ? nearestUp2(p, x) : x;
  if (pad > 0) h = g.pad(h, [0, 0, pad, pad, 0, 0, pad, pad], 'reflect');
  const w = p.get('conv2d.weight');
  const b = p.has('conv2d.bias') ? p.get('conv2d.bias') : undefined;
  const s = scale === 'down' ? 2 : 1;
  h = g.conv(h, w, b, { kernelShape: [k, k], strides: [s, s] });
  if (p.has('norm.norm.weight')) h = batchNorm(p, 'norm.norm', h);
  return relu ? g.leakyRelu(h, 0.2) : h;
}

/** parsenet.ResidualBlock: shortcut (identity or ConvLayer at the block's scale) + conv2(conv1(x)). */
function residualBlock(p: Params, x: string, scale: Scale): string {
  const identity = p.has('shortcut_func.conv2d.weight') ? convLayer(p.at('shortcut_func.'), x, scale, false) : x;
  const h = convLayer(p.at('conv1.'), x, scale === 'up' ? 'up' : 'none', true);
  return p.g.add(identity, convLayer(p.at('conv2.'), h, scale === 'down' ? 'down' : 'none', false));
}

export function isParseNet(keys: { has(key: string): boolean }): boolean {
  return keys.has('encoder.0.conv2d.weight') && keys.has('out_mask_conv.conv2d.weight');
}

export interface ParseNetInfo {
  size: number;
  classes: number;
}

/** `size`: the square input side (512: FaceRestoreHelper resizes each face to 512 before parsing). */
export function buildParseNet(tensors: ReadonlyMap<string, TensorRecord>, o: { size?: number } = {}): BuiltPart & { info: ParseNetInfo } {
  const ft = ElemType.FLOAT;
  const g = new GraphBuilder({ name: 'parsenet', floatType: ft });
  const p = Params.create(g, tensors, '', ft);
  if (!isParseNet(tensors)) throw new ArchError('not a facexlib ParseNet state dict (no encoder.0.conv2d / out_mask_conv)');
  const size = o.size ?? 512;
  const down = countFrom(p, 'encoder.', 1);
  const x = g.input('image', ft, [1, 3, size, size]);
  let feat = convLayer(p.at('encoder.0.'), x, 'none', false);
  for (let i = 1; i <= down; i++) feat = residualBlock(p.at(`encoder.${i}.`), feat, 'down');
  let body = feat;
  for (let i = 0; i < p.count('body.', '.conv1.conv2d.weight'); i++) body = residualBlock(p.at(`body.${i}.`), body, 'none');
  let h = g.add(feat, body);
  for (let i = 0; i < p.count('decoder.', '.conv1.conv2d.weight'); i++) h = residualBlock(p.at(`decoder.${i}.`), h, 'up');
  const classes = p.shape('out_mask_conv.conv2d.weight')[0]!;
  g.output('parsing', ft, [1, classes, size, size], convLayer(p.at('out_mask_conv.'), h, 'none', false));
  g.output('image_out', ft, [1, 3, size, size], convLayer(p.at('out_img_conv.'), h, 'none', false));
  return { g, params: p, info: { size, classes } };
}

/** Residual blocks of the encoder start at index 1 (index 0 is the first ConvLayer). */
function countFrom(p: Params, prefix: string, start: number): number {
  let n = 0;
  while (p.has(`${prefix}${start + n}.conv1.conv2d.weight`)) n++;
  return n;
}
