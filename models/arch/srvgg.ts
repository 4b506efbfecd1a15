// SRVGGNetCompact (Real-ESRGAN realesr-general-x4v3, realesr-animevideov3) as an ONNX graph, as basicsr's
// srvgg_arch: conv, act, (conv, act)×num_conv, conv to 3·s² channels, pixel shuffle (DepthToSpace CRD, which is
// PyTorch's PixelShuffle order), plus the nearest-upsampled input as a global residual.
import { ElemType, GraphBuilder } from '../graph';
import type { SrvggSpec, UpscalerGraphInfo } from './detectUpscaler';
import { nearestUp, sameConv, type WeightLookup } from './rrdbnet';

export function buildSrvgg(spec: SrvggSpec, get: WeightLookup): { graph: GraphBuilder; info: UpscalerGraphInfo } {
  const g = new GraphBuilder({ name: `srvgg_x${spec.scale}` });
  const input = g.input('image', ElemType.FLOAT, [1, 3, 'height', 'width']);
  const convIdx: number[] = [];
  for (let i = 0; get(`body.${i}.weight`) || get(`body.${i + 1}.weight`); i++) if (get(`body.${i}.weight`)?.shape.length === 4) convIdx.push(i);
  let x = input;
  convIdx.forEach((ci, n) => {
    x = sameConv(g, x, get(`body.${ci}.weight`)!, get(`body.${ci}.bias`), `body.${ci}`);
    if (n === convIdx.length - 1) return;
    const slope = get(`body.${ci + 1}.weight`);
    // PReLU slopes broadcast over [C, 1, 1]; weightless activations are basicsr's LeakyReLU(0.1).
    x = slope ? g.op('PRelu', [x, g.initializer(`body.${ci + 1}.slope`, slope.data, [slope.shape[0]!, 1, 1])]) : g.leakyRelu(x, 0.1);
  });
  const shuffled = g.depthToSpace(x, spec.scale, 'CRD');
  const out = g.add(shuffled, nearestUp(g, input, spec.scale));
  g.output('upscaled', ElemType.FLOAT, [1, 3, 'out_height', 'out_width'], g.clip(out, 0, 1));
  return { graph: g, info: { arch: `SRVGGNetCompact ${spec.convs}C`, scale: spec.scale, multipleOf: 1, context: convIdx.length, channelOrder: 'bgr' } };
}
