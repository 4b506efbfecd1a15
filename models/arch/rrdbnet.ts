// RRDBNet (ESRGAN, Real-ESRGAN x4plus/x2plus/anime_6B, 4x-UltraSharp, ...) as an ONNX graph, from weights in
// canonical names (detectUpscaler maps the old and new key layouts onto them). Mirrors basicsr's rrdbnet_arch:
//   feat = conv_first(pixel_unshuffle?(x)); feat += conv_body(RRDB^n(feat))
//   per up-conv: feat = lrelu(up(nearest×2(feat)));  out = conv_last(lrelu(conv_hr(feat)))
// Input and output are [1, 3, H, W] in [0, 1]; the output is clipped (A1111 clamps it anyway).
import { ElemType, GraphBuilder } from '../graph';
import type { RrdbSpec, UpscalerGraphInfo } from './detectUpscaler';

export interface HostWeight {
  data: Float32Array;
  shape: readonly number[];
}

export type WeightLookup = (canonical: string) => HostWeight | undefined;

/** Conv with 'same' padding for odd square kernels, bias optional: the only conv these networks use. */
export function sameConv(g: GraphBuilder, x: string, w: HostWeight, b: HostWeight | undefined, base: string): string {
  const k = w.shape[2]!;
  const p = (k - 1) >> 1;
  const wn = g.initializer(`${base}.weight`, w.data, w.shape);
  const bn = b ? g.initializer(`${base}.bias`, b.data, b.shape) : undefined;
  return g.conv(x, wn, bn, { kernelShape: [k, w.shape[3]!], pads: [p, p, p, p] });
}

/** Nearest ×s as PyTorch's F.interpolate(mode='nearest') (asymmetric, floor): every pixel repeated s×s. */
export function nearestUp(g: GraphBuilder, x: string, s: number): string {
  return g.resize(x, { mode: 'nearest', scales: [1, 1, s, s], coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' });
}

/**
 * PyTorch pixel_unshuffle(r) as a stride-r conv with a one-hot kernel: output channel c·r² + i·r + j takes
 * input channel c at offset (i, j). ONNX SpaceToDepth orders channels the other way (blocks first).
 */
function pixelUnshuffle(g: GraphBuilder, x: string, r: number, channels = 3): string {
  const out = channels * r * r;
  const w = new Float32Array(out * channels * r * r);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < r; j++) {
        const o = c * r * r + i * r + j;
        w[((o * channels + c) * r + i) * r + j] = 1;
      }
    }
  }
  return g.conv(x, g.initializer('unshuffle.weight', w, [out, channels, r, r]), undefined, { kernelShape: [r, r], strides: [r, r] });
}

export function buildRrdbnet(spec: RrdbSpec, get: WeightLookup): { graph: GraphBuilder; info: UpscalerGraphInfo } {
  const need = (n: string): HostWeight => {
    const w = get(n);
    if (!w) throw new Error(`RRDBNet: weight "${n}" missing`);
    return w;
  };
  const conv = (x: string, n: string): string => sameConv(g, x, need(`${n}.weight`), get(`${n}.bias`), n);
  const lrelu = (x: string): string => g.leakyRelu(x, 0.2);
  const scaled = (x: string, s: number): string => g.mul(x, g.floatConst(s));

  const g = new GraphBuilder({ name: `rrdbnet_x${spec.scale}` });
  const input = g.input('image', ElemType.FLOAT, [1, 3, 'height', 'width']);
  let feat = conv(spec.unshuffle > 1 ? pixelUnshuffle(g, input, spec.unshuffle) : input, 'first');

  let trunk = feat;
  for (let b = 0; b < spec.blocks; b++) {
    const blockIn = trunk;
    let x = blockIn;
    for (let r = 1; r <= 3; r++) {
      // Residual dense block: each conv sees the block input and every earlier output; the last is scaled by 0.2.
      const pre = `body.${b}.rdb${r}`;
      const parts = [x];
      for (let c = 1; c <= 4; c++) parts.push(lrelu(conv(g.concat(parts, 1), `${pre}.conv${c}`)));
      const x5 = conv(g.concat(parts, 1), `${pre}.conv5`);
      x = g.add(scaled(x5, 0.2), x);
    }
    trunk = g.add(scaled(x, 0.2), blockIn);
  }
  feat = g.add(feat, conv(trunk, 'trunk'));
  for (let u = 1; u <= spec.upconvs; u++) feat = lrelu(conv(nearestUp(g, feat, 2), `up${u}`));
  const out = conv(lrelu(conv(feat, 'hr')), 'last');
  g.output('upscaled', ElemType.FLOAT, [1, 3, 'out_height', 'out_width'], g.clip(out, 0, 1));
  // Receptive radius in input pixels: a chain of 5 convs per dense block, 15 per RRDB, plus first and trunk at
  // feature resolution and ~2 more after upsampling. Nominal (huge for 23 blocks): the tile runner caps it.
  const context = (2 + 15 * spec.blocks) * spec.unshuffle + 2;
  return { graph: g, info: { arch: `RRDBNet ${spec.blocks}B ${spec.layout}-layout`, scale: spec.scale, multipleOf: spec.unshuffle, context, channelOrder: 'bgr' } };
}
