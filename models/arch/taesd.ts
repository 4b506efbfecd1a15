// TAESD (madebyollin/taesd), the tiny VAE used for live previews: nn.Sequential files whose keys are layer
// indices (`0.weight`, `1.conv.0.weight`, `2.weight`, ...). Layers without parameters leave gaps: in the
// decoder index 0 is Clamp (tanh(x/3)·3), a gap before a bias-free conv is Upsample(×2 nearest), any other gap
// is ReLU. Bias-free convs are the encoder's stride-2 downsamplers (the decoder's follow an upsample, stride 1).
// Widths come from the weights (official 64; the fixture 16). Block = relu(conv·relu·conv·relu·conv + skip).
// Encoder: `sample` (image in [0,1]) → `latent_sample`; decoder: `latent_sample` (SD latent ×0.18215 space) →
// `sample` (not clamped).
import { ElemType, GraphBuilder } from '../graph';
import type { TensorRecord } from '../formats/tensorRecord';
import { conv } from './layers';
import { ArchError, Params } from './params';
import type { BuiltPart } from './unet';

function block(p: Params, x: string): string {
  const g = p.g;
  let h = g.relu(conv(p, 'conv.0', x));
  h = g.relu(conv(p, 'conv.2', h));
  h = conv(p, 'conv.4', h);
  const skip = p.has('skip.weight') ? conv(p, 'skip', x) : x;
  return g.relu(g.add(h, skip));
}

function lastIndex(p: Params): number {
  let last = -1;
  for (const k of p.keys()) {
    const i = Number(k.split('.')[0]);
    if (Number.isInteger(i)) last = Math.max(last, i);
  }
  return last;
}

export function buildTaesd(tensors: ReadonlyMap<string, TensorRecord>, part: 'encoder' | 'decoder', o: { prefix?: string } = {}): BuiltPart {
  const ft = ElemType.FLOAT;
  const g = new GraphBuilder({ name: `taesd_${part}`, floatType: ft });
  const p = Params.create(g, tensors, o.prefix ?? '', ft);
  const decoder = !p.has('0.weight');
  if ((part === 'decoder') !== decoder) throw new ArchError(`this TAESD file is a${decoder ? ' decoder' : 'n encoder'}, not a${part === 'decoder' ? ' decoder' : 'n encoder'}`);
  const last = lastIndex(p);
  if (last < 0) throw new ArchError('no TAESD layers (keys like "1.conv.0.weight") found');
  const firstConv = decoder ? '1.weight' : '0.weight';
  const inCh = p.shape(firstConv)[1]!;
  let h = g.input(decoder ? 'latent_sample' : 'sample', ft, ['batch', inCh, 'height', 'width']);
  for (let i = 0; i <= last; i++) {
    const s = p.at(`${i}.`);
    if (s.has('conv.0.weight')) h = block(s, h);
    else if (s.has('weight')) h = conv(s, '', h, { stride: !decoder && !s.has('bias') ? 2 : 1 });
    else if (i === 0 && decoder) h = g.mul(g.tanh(g.div(h, g.floatConst(3))), g.floatConst(3));
    else if (p.has(`${i + 1}.weight`) && !p.has(`${i + 1}.bias`)) h = g.resize(h, { mode: 'nearest', scales: [1, 1, 2, 2], coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' });
    else h = g.relu(h);
  }
  const outCh = p.shape(`${last}.weight`)[0]!;
  g.output(decoder ? 'sample' : 'latent_sample', ft, ['batch', outCh, 'out_height', 'out_width'], h);
  return { g, params: p };
}
