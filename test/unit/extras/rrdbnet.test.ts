// RRDBNet has no small real weights here: generated weights in BOTH key layouts, chosen so the network is an
// exact, predictable function (identity convs and constant dense-block biases), checked from first principles.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildRrdbnet, type HostWeight } from '../../../models/arch/rrdbnet';
import { detectUpscaler, UnsupportedArchitectureError, type WeightInfo } from '../../../models/arch/detectUpscaler';

const NF = 8;
const GC = 4;

/** Conv weight [out, in, k, k] passing input channel c to output channel c through the centre tap (c < min). */
function identityConv(out: number, inCh: number, k = 3): HostWeight {
  const w = new Float32Array(out * inCh * k * k);
  for (let c = 0; c < Math.min(out, inCh); c++) w[((c * inCh + c) * k + (k >> 1)) * k + (k >> 1)] = 1;
  return { data: w, shape: [out, inCh, k, k] };
}
const zeros = (shape: number[]): HostWeight => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape });
const filled = (n: number, v: number): HostWeight => ({ data: new Float32Array(n).fill(v), shape: [n] });

/**
 * Canonical-name weights of an RRDBNet that is an exact function of nearest(x): every dense conv is zero except
 * conv5's bias b, so each RDB adds 0.2·b, each RRDB maps t → 0.2·(t + 0.6·b) + t = 1.2·t + 0.12·b; the trunk and
 * all other convs are identities, so out = clip(f + RRDB^n(f)) with f = nearest(x).
 */
function weights(blocks: number, upconvs: number, b: number): Map<string, HostWeight> {
  const m = new Map<string, HostWeight>();
  m.set('first.weight', identityConv(NF, 3));
  m.set('first.bias', filled(NF, 0));
  for (let i = 0; i < blocks; i++) {
    for (let r = 1; r <= 3; r++) {
      for (let c = 1; c <= 5; c++) {
        const inCh = NF + (c - 1) * GC;
        const out = c === 5 ? NF : GC;
        m.set(`body.${i}.rdb${r}.conv${c}.weight`, zeros([out, inCh, 3, 3]));
        m.set(`body.${i}.rdb${r}.conv${c}.bias`, filled(out, c === 5 ? b : 0));
      }
    }
  }
  for (const n of ['trunk', 'hr', ...Array.from({ length: upconvs }, (_, u) => `up${u + 1}`)]) {
    m.set(`${n}.weight`, identityConv(NF, NF));
    m.set(`${n}.bias`, filled(NF, 0));
  }
  m.set('last.weight', identityConv(3, NF));
  m.set('last.bias', filled(3, 0));
  return m;
}

/** Canonical → file key in the old (ESRGAN `model.N`) or new (basicsr) layout. */
function fileKey(canonical: string, layout: 'old' | 'new', blocks: number, upconvs: number): string {
  const [head, ...rest] = canonical.split('.');
  const p = rest[rest.length - 1];
  if (layout === 'new') {
    if (head === 'body') return canonical;
    const names: Record<string, string> = { first: 'conv_first', trunk: 'conv_body', hr: 'conv_hr', last: 'conv_last' };
    return `${names[head!] ?? head!.replace('up', 'conv_up')}.${p}`;
  }
  if (head === 'body') return `model.1.sub.${rest[0]}.${rest[1]!.replace('rdb', 'RDB')}.${rest[2]}.0.${p}`;
  if (head === 'first') return `model.0.${p}`;
  if (head === 'trunk') return `model.1.sub.${blocks}.${p}`;
  const ups = upconvs;
  const idx = head!.startsWith('up') ? 3 * Number(head!.slice(2)) : head === 'hr' ? 3 * ups + 2 : 3 * ups + 4;
  return `model.${idx}.${p}`;
}

async function run(bytes: Uint8Array, x: Float32Array, h: number, w: number): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    return (await s.run({ image: new ort.Tensor('float32', x, [1, 3, h, w]) })).upscaled!.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe('RRDBNet from generated weights', () => {
  for (const [layout, blocks, upconvs] of [['old', 2, 2], ['new', 3, 2], ['old', 1, 1], ['new', 1, 3]] as const) {
    it(`${layout} layout, ${blocks} blocks, ×${2 ** upconvs}: detected, and equals f + RRDB^n(f), f = nearest(x)`, async () => {
      const b = 0.25;
      const canon = weights(blocks, upconvs, b);
      const tensors: WeightInfo[] = [...canon].map(([k, v]) => ({ name: `params_ema/${fileKey(k, layout, blocks, upconvs)}`, shape: v.shape }));
      const spec = detectUpscaler(tensors, 'gen.pth');
      assert.equal(spec.kind, 'rrdbnet');
      if (spec.kind !== 'rrdbnet') return;
      assert.equal(spec.layout, layout);
      assert.equal(spec.blocks, blocks);
      assert.equal(spec.scale, 2 ** upconvs);
      assert.equal(spec.features, NF);
      assert.equal(spec.growth, GC);
      // The builder looks weights up by canonical name through the spec's key map, as the cache does.
      const byFile = new Map([...canon].map(([k, v]) => [`params_ema/${fileKey(k, layout, blocks, upconvs)}`, v]));
      const { graph, info } = buildRrdbnet(spec, (n) => byFile.get(spec.keys.get(n) ?? ''));
      assert.equal(info.channelOrder, 'bgr');
      const h = 5;
      const w = 7;
      const s = spec.scale;
      const x = Float32Array.from({ length: 3 * h * w }, (_, i) => ((i * 37) % 101) / 400);
      const out = await run(graph.toBytes(), x, h, w);
      assert.equal(out.length, 3 * h * s * w * s);
      let worst = 0;
      for (let c = 0; c < 3; c++) for (let y = 0; y < h * s; y++) for (let xx = 0; xx < w * s; xx++) {
        const f = x[(c * h + Math.floor(y / s)) * w + Math.floor(xx / s)]!;
        let t = f;
        for (let k = 0; k < blocks; k++) t = 1.2 * t + 0.12 * b;
        const want = Math.min(1, f + t);
        worst = Math.max(worst, Math.abs(out[(c * h * s + y) * w * s + xx]! - want));
      }
      assert.ok(worst < 1e-5, `max |diff| ${worst}`);
    });
  }

  it('an unsupported architecture names the keys it did not recognise', () => {
    const swinir = ['params_ema/conv_first.weight', 'params_ema/layers.0.residual_group.blocks.0.attn.qkv.weight', 'params_ema/layers.1.residual_group.blocks.3.attn.qkv.weight', 'params_ema/patch_embed.norm.weight'];
    assert.throws(
      () => detectUpscaler(swinir.map((name) => ({ name, shape: [4] })), 'swinir.pth'),
      (e: unknown) => e instanceof UnsupportedArchitectureError && /swinir\.pth: unsupported upscaler architecture/.test(e.message) && /layers\.#\.residual_group\.blocks\.#\.attn\.qkv\.weight/.test(e.message) && /patch_embed\.norm\.weight/.test(e.message),
    );
  });

  it('an RRDBNet with stray keys lists them', () => {
    const canon = weights(1, 2, 0);
    const tensors: WeightInfo[] = [...canon].map(([k, v]) => ({ name: fileKey(k, 'new', 1, 2), shape: v.shape }));
    tensors.push({ name: 'attention.gate.weight', shape: [1] });
    assert.throws(() => detectUpscaler(tensors, 'odd.pth'), /unrecognised keys: attention\.gate\.weight/);
  });
});
