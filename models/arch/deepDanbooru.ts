// DeepDanbooru (A1111's `models/torch_deepdanbooru/model-resnet_custom_v3.pt`, modules/deepbooru_model.py): a
// ResNet written out as 179 numbered convs `n_Conv_K` (K = 0..178, each with a bias but the last), every pad
// explicit and the convs themselves unpadded:
//   stem: pad [2,3,2,3] → 7×7/2 conv → ReLU → pad [0,1,0,1] with −inf → 3×3/2 max-pool;
//   bottlenecks: 1×1 → ReLU → pad → 3×3 (stride 2 in a down block, pad [0,1,0,1]; else [1,1,1,1]) → ReLU → 1×1,
//   plus the shortcut (a 1×1 conv, stride 2 in a down block, or identity), → ReLU;
//   head: 1×1 conv (no bias) to the tag count → global average → sigmoid.
// Which convs are shortcuts is fixed by the architecture (the file cannot say where the strides are): the
// projection blocks start at convs 1 (stride 1), 11, 36, 158 and 168 with the shortcut first, and the one at 97
// lists its body first and its shortcut (100) last. Widths come from the weights.
// Input `image` [1, 3, H, W] is the model's NHWC input after its own permute: RGB u8 / 255 (A1111 resizes to
// 512×512 with resize_image(2, …) first).
import { ElemType, GraphBuilder } from '../graph';
import type { TensorRecord } from '../formats/tensorRecord';
import { ArchError, Params } from './params';
import type { BuiltPart } from './unet';

/** First conv of each projection block → [shortcut conv, body convs (1×1, 3×3, 1×1)], stride. */
const PROJECTIONS = new Map<number, { shortcut: number; body: [number, number, number]; stride: number }>([
  [1, { shortcut: 1, body: [2, 3, 4], stride: 1 }],
  [11, { shortcut: 11, body: [12, 13, 14], stride: 2 }],
  [36, { shortcut: 36, body: [37, 38, 39], stride: 2 }],
  [97, { shortcut: 100, body: [97, 98, 99], stride: 2 }],
  [158, { shortcut: 158, body: [159, 160, 161], stride: 2 }],
  [168, { shortcut: 168, body: [169, 170, 171], stride: 2 }],
]);
const HEAD = 178;

export interface DeepDanbooruInfo {
  tags: number;
  /** Stem width (64 in the real file). */
  stem: number;
}

export const isDeepDanbooru = (t: ReadonlyMap<string, TensorRecord>): boolean => t.has('n_Conv_0.weight') && t.has(`n_Conv_${HEAD}.weight`) && !t.has('n_Conv_179.weight');

export function buildDeepDanbooru(tensors: ReadonlyMap<string, TensorRecord>): BuiltPart & { info: DeepDanbooruInfo } {
  if (!isDeepDanbooru(tensors)) throw new ArchError(`not DeepDanbooru: expected n_Conv_0 … n_Conv_${HEAD} (model-resnet_custom_v3.pt)`);
  const g = new GraphBuilder({ name: 'deepdanbooru' });
  const p = Params.create(g, tensors, '');
  const conv = (k: number, x: string, stride = 1): string => {
    const key = `n_Conv_${k}`;
    const [, , kh, kw] = p.shape(`${key}.weight`) as [number, number, number, number];
    return g.conv(x, p.get(`${key}.weight`), p.has(`${key}.bias`) ? p.get(`${key}.bias`) : undefined, { kernelShape: [kh, kw], strides: [stride, stride] });
  };
  // F.pad's [left, right, top, bottom] on the last two axes → ONNX begin/end per axis.
  const pad = (x: string, [l, r, t, b]: readonly number[], value?: number): string =>
    value === undefined ? g.pad(x, [0, 0, t!, l!, 0, 0, b!, r!]) : g.op('Pad', [x, g.int64Const([0, 0, t!, l!, 0, 0, b!, r!]), g.floatConst(value)], { mode: 'constant' });

  const image = g.input('image', ElemType.FLOAT, [1, 3, 'height', 'width']);
  let h = g.relu(conv(0, pad(image, [2, 3, 2, 3]), 2));
  h = g.op('MaxPool', [pad(h, [0, 1, 0, 1], -Infinity)], { kernel_shape: [3, 3], strides: [2, 2] });
  const bottleneck = (x: string, [a, b, c]: readonly number[], stride: number): string => {
    const y = g.relu(conv(a!, x));
    return conv(c!, g.relu(conv(b!, pad(y, stride === 2 ? [0, 1, 0, 1] : [1, 1, 1, 1]), stride)));
  };
  for (let k = 1; k < HEAD; ) {
    const proj = PROJECTIONS.get(k);
    if (proj) {
      const body = bottleneck(h, proj.body, proj.stride);
      h = g.relu(g.add(body, conv(proj.shortcut, h, proj.stride)));
      k += 4;
    } else {
      h = g.relu(g.add(bottleneck(h, [k, k + 1, k + 2], 1), h));
      k += 3;
    }
  }
  const logits = g.reduceMean(conv(HEAD, h), [2, 3], false);
  const tags = p.shape(`n_Conv_${HEAD}.weight`)[0]!;
  g.output('scores', ElemType.FLOAT, [1, tags], g.sigmoid(logits));
  g.output('logits', ElemType.FLOAT, [1, tags], logits);
  return { g, params: p, info: { tags, stem: p.shape('n_Conv_0.weight')[0]! } };
}
