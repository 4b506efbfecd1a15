// Token merging in the graph: the merge/unmerge ops against tomesd's algorithm written out in plain TypeScript
// (bipartite_soft_matching_random2d, no_rand, [unmerged | destinations] layout, scatter_reduce mean), and the
// UNet built with token merging: ratio 0 gives the plain graph's output bit for bit, ratios > 0 only touch the
// full-resolution blocks and move eps moderately.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ElemType, GraphBuilder } from '../../../models/graph';
import { attention } from '../../../models/arch/layers';
import { Params } from '../../../models/arch/params';
import { matchTokens, TOKEN_MERGING_INPUT } from '../../../models/arch/tokenMerging';
import { buildUnet } from '../../../models/arch/unet';
import { ramp } from '../graph/ortHelpers';
import { cleanup, f32, io, runBuilt, runBuiltEach, weights } from './archHelpers';

after(cleanup);

/** tomesd, as written there: returns merge/unmerge over [N, C] rows of one batch entry. */
function tomesdReference(metric: Float32Array, n: number, c: number, h: number, w: number, ratio: number) {
  const hsy = Math.floor(h / 2), wsx = Math.floor(w / 2);
  const dstIdx: number[] = [];
  const srcIdx: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) (y % 2 === 0 && x % 2 === 0 && y < hsy * 2 && x < wsx * 2 ? dstIdx : srcIdx).push(y * w + x);
  const unit = (i: number) => {
    let s = 0;
    for (let k = 0; k < c; k++) s += metric[i * c + k]! ** 2;
    return Array.from({ length: c }, (_, k) => metric[i * c + k]! / Math.sqrt(s));
  };
  const a = srcIdx.map(unit), b = dstIdx.map(unit);
  const nodeMax: number[] = [], nodeIdx: number[] = [];
  for (const row of a) {
    let best = -Infinity, at = 0;
    b.forEach((d, j) => {
      const s = row.reduce((acc, v, k) => acc + v * d[k]!, 0);
      if (s > best) { best = s; at = j; }
    });
    nodeMax.push(best);
    nodeIdx.push(at);
  }
  const r = Math.min(srcIdx.length, Math.floor(n * ratio));
  const edge = nodeMax.map((v, i) => [v, i] as const).sort((p, q) => q[0] - p[0]).map((p) => p[1]);
  const unm = edge.slice(r), merged = edge.slice(0, r);
  return {
    r,
    merge(x: Float32Array): Float32Array {
      const rows = (idx: number[]) => idx.map((i) => x.subarray(i * c, (i + 1) * c));
      const src = rows(srcIdx), dst = rows(dstIdx).map((d) => Float64Array.from(d));
      const count = dst.map(() => 1);
      for (const s of merged) {
        const j = nodeIdx[s]!;
        for (let k = 0; k < c; k++) dst[j]![k]! += src[s]![k]!;
        count[j]!++;
      }
      const out = new Float32Array((n - r) * c);
      unm.forEach((s, i) => out.set(src[s]!, i * c));
      dst.forEach((d, j) => out.set(d.map((v) => v / count[j]!), (unm.length + j) * c));
      return out;
    },
    unmerge(y: Float32Array): Float32Array {
      const out = new Float32Array(n * c);
      const dstRow = (j: number) => y.subarray((unm.length + j) * c, (unm.length + j + 1) * c);
      dstIdx.forEach((t, j) => out.set(dstRow(j), t * c));
      unm.forEach((s, i) => out.set(y.subarray(i * c, (i + 1) * c), srcIdx[s]! * c));
      for (const s of merged) out.set(dstRow(nodeIdx[s]!), srcIdx[s]! * c);
      return out;
    },
  };
}

/** Single-head softmax attention of rows onto themselves (what attn1 does with identity projections). */
function selfAttention(x: Float32Array, n: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    const s = Array.from({ length: n }, (_, j) => {
      let d = 0;
      for (let k = 0; k < c; k++) d += x[i * c + k]! * x[j * c + k]!;
      return d / Math.sqrt(c);
    });
    const m = Math.max(...s);
    const e = s.map((v) => Math.exp(v - m));
    const z = e.reduce((p, q) => p + q, 0);
    for (let j = 0; j < n; j++) for (let k = 0; k < c; k++) out[i * c + k]! += (e[j]! / z) * x[j * c + k]!;
  }
  return out;
}

async function runMergeGraph(metric: Float32Array, x: Float32Array, b: number, c: number, h: number, w: number, ratio: number): Promise<Float32Array> {
  const g = new GraphBuilder({ name: 'tome' });
  const p = Params.create(g, new Map(), '');
  const m = g.input('metric', ElemType.FLOAT, [b, h * w, c]);
  const xi = g.input('x', ElemType.FLOAT, [b, h * w, c]);
  const spatial = g.input('spatial', ElemType.FLOAT, [b, c, h, w]);
  const rt = g.input(TOKEN_MERGING_INPUT, ElemType.DOUBLE, [1]);
  const match = matchTokens(g, m, spatial, rt);
  const merged = match.merge(xi);
  g.output('y', ElemType.FLOAT, undefined, match.unmerge(attention(p, merged, merged, merged, 1, c)));
  const s = await ort.InferenceSession.create(g.toBytes(), { executionProviders: ['cpu'] });
  try {
    const out = await s.run({
      metric: new ort.Tensor('float32', metric, [b, h * w, c]), x: new ort.Tensor('float32', x, [b, h * w, c]),
      spatial: new ort.Tensor('float32', new Float32Array(b * c * h * w), [b, c, h, w]), [TOKEN_MERGING_INPUT]: new ort.Tensor('float64', Float64Array.of(ratio), [1]),
    });
    return out.y!.data as Float32Array;
  } finally {
    await s.release();
  }
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('token merging (tomesd with A1111 settings)', () => {
  for (const [h, w, ratio] of [[6, 6, 0.5], [5, 7, 0.3], [8, 4, 0.75], [4, 4, 0.9]] as const) {
    it(`${h}×${w} grid, ratio ${ratio}: merge → self-attention → unmerge equals tomesd per batch entry`, async () => {
      const b = 2, c = 8, n = h * w;
      const metric = ramp(b * n * c, 1, 7 + h), x = ramp(b * n * c, 1, 11 + w);
      const got = await runMergeGraph(metric, x, b, c, h, w, ratio);
      for (let e = 0; e < b; e++) {
        const ref = tomesdReference(metric.subarray(e * n * c, (e + 1) * n * c), n, c, h, w, ratio);
        assert.ok(ref.r > 0);
        const merged = ref.merge(x.subarray(e * n * c, (e + 1) * n * c));
        const want = ref.unmerge(selfAttention(merged, n - ref.r, c));
        const d = maxDiff(got.subarray(e * n * c, (e + 1) * n * c), want);
        assert.ok(d < 2e-6, `batch ${e}: max diff ${d}`);
      }
    });
  }

  it('ratio 0 leaves the tokens exactly as they are', async () => {
    const b = 1, c = 8, h = 6, w = 6, n = h * w;
    const x = ramp(b * n * c, 1, 3);
    const got = await runMergeGraph(ramp(b * n * c, 1, 4), x, b, c, h, w, 0);
    const g = new GraphBuilder({ name: 'plain' });
    const p = Params.create(g, new Map(), '');
    const xi = g.input('x', ElemType.FLOAT, [b, n, c]);
    g.output('y', ElemType.FLOAT, undefined, attention(p, xi, xi, xi, 1, c));
    const s = await ort.InferenceSession.create(g.toBytes(), { executionProviders: ['cpu'] });
    const plain = (await s.run({ x: new ort.Tensor('float32', x, [b, n, c]) })).y!.data as Float32Array;
    await s.release();
    assert.ok(got.every((v, i) => Object.is(v, plain[i])), 'bit-identical');
  });

  it('a UNet built with token merging (unet-sd2: attention at full resolution): ratio 0 = the plain graph bit for bit; 0.5 moves eps a little', async () => {
    const tensors = await weights('unet-sd2.safetensors');
    const ref = await io('unet-sd2.io.safetensors');
    const heads = { headChannels: 8 };
    const feeds = { sample: f32(ref.get('x')!), timestep: f32(ref.get('timesteps')!), encoder_hidden_states: f32(ref.get('context')!) };
    const plain = (await runBuilt(buildUnet(tensors, { heads }), feeds, ['out_sample'])).out_sample!;
    const ratio = (r: number) => new ort.Tensor('float64', Float64Array.of(r), [1]);
    const [zero, half] = await runBuiltEach(buildUnet(tensors, { heads, tokenMerging: true }), [{ ...feeds, [TOKEN_MERGING_INPUT]: ratio(0) }, { ...feeds, [TOKEN_MERGING_INPUT]: ratio(0.5) }], 'out_sample');
    assert.ok(zero!.every((v, i) => Object.is(v, plain[i])), 'ratio 0: identical output');
    let num = 0, den = 0;
    for (let i = 0; i < half!.length; i++) {
      num += (half![i]! - plain[i]!) ** 2;
      den += plain[i]! ** 2;
    }
    const rel = Math.sqrt(num / den);
    assert.ok(rel > 1e-4 && rel < 0.5, `relative L2 change of eps at ratio 0.5: ${rel}`);
  });
});
