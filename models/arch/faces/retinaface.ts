// RetinaFace with a ResNet-50 body (facexlib `detection_Resnet50_Final.pth`, the detector A1111's face
// restoration uses through FaceRestoreHelper), as facexlib's retinaface.py / retinaface_net.py build it:
//   body = torchvision resnet50 up to layer4 (layers 2-4 returned), FPN (1×1 laterals, nearest top-down to the
//   lateral's size, 3×3 merges), one SSH context module per level, and 1×1 heads with 2 anchors per cell.
// Input `image` [1, 3, H, W]: BGR pixels minus (104, 117, 123), no scaling (the caller's job). Outputs as the
// network returns them in phase 'test': `loc` [1, A, 4], `conf` [1, A, 2] (softmaxed; index 1 = face),
// `landms` [1, A, 10]; A = 2·Σ cells of the three maps (priors and decoding: daemon/extras/faces/retinaDecode.ts).
// Widths and block counts come from the weights; the FPN/SSH slope is nn.LeakyReLU(0.1) only when the FPN has
// ≤ 64 channels (retinaface_net.py), so 0 (ReLU) for the real file's 256.
import { ElemType, GraphBuilder } from '../../graph';
import type { TensorRecord } from '../../formats/tensorRecord';
import { batchNorm, conv, leaky } from '../layers';
import { ArchError, Params } from '../params';
import type { BuiltPart } from '../unet';

/** conv → BN (→ activation when `slope` is given): the conv_bn / conv_bn1X1 / conv_bn_no_relu of retinaface_net.py. */
function convBn(p: Params, key: string, x: string, slope?: number, stride = 1): string {
  const y = batchNorm(p, `${key}.1`, conv(p, `${key}.0`, x, { stride }));
  return slope === undefined ? y : leaky(p, y, slope);
}

/** torchvision Bottleneck (stride on the 3×3, as ResNet v1.5). */
function bottleneck(p: Params, x: string, stride: number): string {
  const g = p.g;
  let h = g.relu(batchNorm(p, 'bn1', conv(p, 'conv1', x)));
  h = g.relu(batchNorm(p, 'bn2', conv(p, 'conv2', h, { stride })));
  h = batchNorm(p, 'bn3', conv(p, 'conv3', h));
  const skip = p.has('downsample.0.weight') ? batchNorm(p, 'downsample.1', conv(p, 'downsample.0', x, { stride })) : x;
  return g.relu(g.add(h, skip));
}

function ssh(p: Params, x: string, slope: number): string {
  const c3 = convBn(p, 'conv3X3', x);
  const c5a = convBn(p, 'conv5X5_1', x, slope);
  const c5 = convBn(p, 'conv5X5_2', c5a);
  const c7 = convBn(p, 'conv7x7_3', convBn(p, 'conv7X7_2', c5a, slope));
  return p.g.relu(p.g.concat([c3, c5, c7], 1));
}

/** Nearest resize of `x` to the spatial size of `like` (F.interpolate(size=..., mode='nearest')). */
function nearestTo(g: GraphBuilder, x: string, like: string): string {
  return g.resize(x, { mode: 'nearest', sizes: g.shape(like), coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' });
}

/** A head's 1×1 conv as [1, H·W·anchors, per]: permute(0, 2, 3, 1).view(b, -1, per). */
function head(p: Params, key: string, x: string, per: number): string {
  const g = p.g;
  return g.reshape(g.transpose(conv(p, key, x), [0, 2, 3, 1]), [0, -1, per]);
}

export interface RetinaFaceInfo {
  /** FPN / head width (256 in the real file). */
  channels: number;
  blocks: number[];
}

export function isRetinaFace(keys: { has(key: string): boolean }): boolean {
  return keys.has('body.conv1.weight') && keys.has('fpn.output1.0.weight') && keys.has('ClassHead.0.conv1x1.weight');
}

export function buildRetinaFace(tensors: ReadonlyMap<string, TensorRecord>): BuiltPart & { info: RetinaFaceInfo } {
  const ft = ElemType.FLOAT;
  const g = new GraphBuilder({ name: 'retinaface_resnet50', floatType: ft });
  const p = Params.create(g, tensors, '', ft);
  if (!isRetinaFace(tensors)) throw new ArchError('not a RetinaFace state dict (no body.conv1 / fpn.output1 / ClassHead)');
  const body = p.at('body.');
  const x = g.input('image', ft, [1, 3, 'height', 'width']);
  let h = g.relu(batchNorm(body, 'bn1', conv(body, 'conv1', x, { stride: 2 })));
  h = g.op('MaxPool', [h], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  const levels: string[] = [];
  const blocks: number[] = [];
  for (let l = 1; l <= 4; l++) {
    const n = body.count(`layer${l}.`, '.conv1.weight');
    if (n === 0) throw new ArchError(`RetinaFace body has no body.layer${l} blocks`);
    blocks.push(n);
    for (let b = 0; b < n; b++) h = bottleneck(body.at(`layer${l}.${b}.`), h, l > 1 && b === 0 ? 2 : 1);
    if (l >= 2) levels.push(h);
  }
  const channels = p.shape('fpn.output1.0.weight')[0]!;
  const slope = channels <= 64 ? 0.1 : 0;
  const fpn = p.at('fpn.');
  let o1 = convBn(fpn, 'output1', levels[0]!, slope);
  let o2 = convBn(fpn, 'output2', levels[1]!, slope);
  const o3 = convBn(fpn, 'output3', levels[2]!, slope);
  o2 = convBn(fpn, 'merge2', g.add(o2, nearestTo(g, o3, o2)), slope);
  o1 = convBn(fpn, 'merge1', g.add(o1, nearestTo(g, o2, o1)), slope);
  const features = [o1, o2, o3].map((f, i) => ssh(p.at(`ssh${i + 1}.`), f, slope));
  const heads = (name: string, per: number): string => g.concat(features.map((f, i) => head(p, `${name}.${i}.conv1x1`, f, per)), 1);
  g.output('loc', ft, [1, 'anchors', 4], heads('BboxHead', 4));
  g.output('conf', ft, [1, 'anchors', 2], g.softmax(heads('ClassHead', 2), -1));
  g.output('landms', ft, [1, 'anchors', 10], heads('LandmarkHead', 10));
  return { g, params: p, info: { channels, blocks } };
}
