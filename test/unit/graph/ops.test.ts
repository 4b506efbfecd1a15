// Every op helper, run through onnxruntime-node (CPU) and compared with a JS computation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ElemType, GraphBuilder, attr } from '../../../models/graph';
import { assertClose, erf, f32, ramp, runGraph } from './ortHelpers';

const F = ElemType.FLOAT;

/** Builds y = fn(x[, x2]) over float inputs of the given shapes, runs it, returns y. */
async function unary(dims: number[], x: Float32Array, fn: (g: GraphBuilder, x: string) => string, outDims?: number[]): Promise<ort.Tensor> {
  const g = new GraphBuilder();
  const xi = g.input('x', F, dims);
  g.output('y', F, outDims, fn(g, xi));
  const { y } = await runGraph(g, { x: f32(x, dims) });
  assert.ok(y, 'the graph has an output y');
  return y;
}

async function binary(
  da: number[], a: Float32Array, db: number[], b: Float32Array, fn: (g: GraphBuilder, a: string, b: string) => string,
): Promise<ort.Tensor> {
  const g = new GraphBuilder();
  const ai = g.input('a', F, da);
  const bi = g.input('b', F, db);
  g.output('y', F, undefined, fn(g, ai, bi));
  const { y } = await runGraph(g, { a: f32(a, da), b: f32(b, db) });
  assert.ok(y, 'the graph has an output y');
  return y;
}

const map = (x: Float32Array, f: (v: number) => number): number[] => Array.from(x, f);

/** Reference NCHW conv2d with pads [t, l, b, r], strides and groups. */
type Dims4 = [number, number, number, number];
function conv2d(x: Float32Array, xd: Dims4, w: Float32Array, wd: Dims4, b: Float32Array | undefined, pads: Dims4, strides: [number, number], group: number) {
  const [n, c, h, wi] = xd;
  const [oc, icg, kh, kw] = wd;
  const oh = Math.floor((h + pads[0] + pads[2] - kh) / strides[0]) + 1;
  const ow = Math.floor((wi + pads[1] + pads[3] - kw) / strides[1]) + 1;
  const out = new Float32Array(n * oc * oh * ow);
  const ocg = oc / group;
  for (let bn = 0; bn < n; bn++)
    for (let o = 0; o < oc; o++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let s = b ? b[o]! : 0;
          const gI = Math.floor(o / ocg);
          for (let ic = 0; ic < icg; ic++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = y * strides[0] - pads[0] + ky;
                const ix = xx * strides[1] - pads[1] + kx;
                if (iy < 0 || ix < 0 || iy >= h || ix >= wi) continue;
                s += x[((bn * c + gI * icg + ic) * h + iy) * wi + ix]! * w[((o * icg + ic) * kh + ky) * kw + kx]!;
              }
          out[((bn * oc + o) * oh + y) * ow + xx] = s;
        }
  void c;
  return { out, dims: [n, oc, oh, ow] };
}

describe('graph ops through onnxruntime', () => {
  const x6 = ramp(6, 2, 3);
  const y6 = ramp(6, 2, 7).map((v) => v + (v >= 0 ? 0.5 : -0.5));

  it('Add Sub Mul Div Pow, with broadcasting', async () => {
    const cases: [string, (g: GraphBuilder, a: string, b: string) => string, (a: number, b: number) => number][] = [
      ['add', (g, a, b) => g.add(a, b), (a, b) => a + b],
      ['sub', (g, a, b) => g.sub(a, b), (a, b) => a - b],
      ['mul', (g, a, b) => g.mul(a, b), (a, b) => a * b],
      ['div', (g, a, b) => g.div(a, b), (a, b) => a / b],
    ];
    for (const [name, fn, ref] of cases) {
      const y = await binary([2, 3], x6, [2, 3], y6, fn);
      assertClose(y.data as Float32Array, Array.from(x6, (v, i) => ref(v, y6[i]!)), 1e-6, name);
      const yb = await binary([2, 3], x6, [3], y6.slice(0, 3), fn);
      assertClose(yb.data as Float32Array, Array.from(x6, (v, i) => ref(v, y6[i % 3]!)), 1e-6, `${name} broadcast`);
    }
    const base = x6.map((v) => Math.abs(v) + 0.1);
    const p = await binary([6], base, [], Float32Array.of(1.5), (g, a, b) => g.pow(a, b));
    assertClose(p.data as Float32Array, map(base, (v) => v ** 1.5), 1e-5, 'pow');
  });

  it('unary maths: Sqrt Exp Sin Cos Relu LeakyRelu Sigmoid Tanh Erf Gelu SiLU Neg Identity', async () => {
    const x = ramp(24, 3, 11);
    const cases: [string, (g: GraphBuilder, x: string) => string, (v: number) => number][] = [
      ['exp', (g, v) => g.exp(v), Math.exp],
      ['sin', (g, v) => g.sin(v), Math.sin],
      ['cos', (g, v) => g.cos(v), Math.cos],
      ['relu', (g, v) => g.relu(v), (v) => Math.max(0, v)],
      ['leakyRelu', (g, v) => g.leakyRelu(v, 0.2), (v) => (v >= 0 ? v : 0.2 * v)],
      ['sigmoid', (g, v) => g.sigmoid(v), (v) => 1 / (1 + Math.exp(-v))],
      ['tanh', (g, v) => g.tanh(v), Math.tanh],
      ['erf', (g, v) => g.erf(v), erf],
      ['gelu', (g, v) => g.gelu(v), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
      ['silu', (g, v) => g.silu(v), (v) => v / (1 + Math.exp(-v))],
      ['neg', (g, v) => g.neg(v), (v) => -v],
      ['identity', (g, v) => g.identity(v), (v) => v],
    ];
    for (const [name, fn, ref] of cases) {
      const y = await unary([4, 6], x, fn);
      assertClose(y.data as Float32Array, map(x, ref), 2e-5, name);
    }
    const pos = x.map(Math.abs);
    assertClose((await unary([24], pos, (g, v) => g.sqrt(v))).data as Float32Array, map(pos, Math.sqrt), 1e-6, 'sqrt');
  });

  it('Clip with numbers, one-sided, and Where/Equal', async () => {
    const x = ramp(12, 3, 5);
    assertClose((await unary([12], x, (g, v) => g.clip(v, -1, 1))).data as Float32Array, map(x, (v) => Math.min(1, Math.max(-1, v))), 0, 'clip');
    assertClose((await unary([12], x, (g, v) => g.clip(v, 0))).data as Float32Array, map(x, (v) => Math.max(0, v)), 0, 'clip min');
    const y = await binary([6], x6, [6], Float32Array.from(x6, (v, i) => (i % 2 ? v : 0)), (g, a, b) =>
      g.where(g.equal(a, b), a, g.floatConst(-9)),
    );
    assertClose(y.data as Float32Array, Array.from(x6, (v, i) => (i % 2 ? v : -9)), 0, 'where');
  });

  it('MatMul (batched), linear, Gemm with transB/alpha/beta', async () => {
    const a = ramp(2 * 3 * 4, 1, 2);
    const b = ramp(4 * 5, 1, 9);
    const y = await binary([2, 3, 4], a, [4, 5], b, (g, x, w) => g.matMul(x, w));
    const ref: number[] = [];
    for (let bt = 0; bt < 2; bt++)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 5; j++) {
          let s = 0;
          for (let k = 0; k < 4; k++) s += a[(bt * 3 + i) * 4 + k]! * b[k * 5 + j]!;
          ref.push(s);
        }
    assert.deepEqual(y.dims, [2, 3, 5]);
    assertClose(y.data as Float32Array, ref, 1e-5, 'matmul');

    const g = new GraphBuilder();
    const x = g.input('x', F, [3, 4]);
    const w = g.initializer('w', b, [5, 4]); // [out, in] as PyTorch stores Linear weights
    const c = g.initializer('c', Float32Array.of(1, 2, 3, 4, 5), [5]);
    g.output('y', F, [3, 5], g.gemm(x, w, c, { transB: true, alpha: 2, beta: 0.5 }));
    const out = (await runGraph(g, { x: f32(a.slice(0, 12), [3, 4]) })).y!.data as Float32Array;
    const want: number[] = [];
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 5; j++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += a[i * 4 + k]! * b[j * 4 + k]!;
        want.push(2 * s + 0.5 * (j + 1));
      }
    assertClose(out, want, 1e-5, 'gemm');
  });

  it('Conv with pads, strides and groups', async () => {
    const xd: Dims4 = [1, 4, 7, 6];
    const x = ramp(4 * 7 * 6, 1, 4);
    for (const [group, stride, k] of [[1, 1, 3], [2, 2, 3], [4, 1, 1], [1, 2, 4]] as const) {
      const wd: Dims4 = [4, 4 / group, k, k];
      const w = ramp(wd.reduce((p, q) => p * q), 0.5, 8 + group);
      const b = Float32Array.of(0.1, -0.2, 0.3, 0);
      const pads: Dims4 = k === 1 ? [0, 0, 0, 0] : [1, 1, 1, 1];
      const ref = conv2d(x, xd, w, wd, b, pads, [stride, stride], group);
      const y = await unary(xd, x, (g, v) =>
        g.conv(v, g.initializer('w', w, wd), g.initializer('b', b, [4]), { kernelShape: [k, k], pads, strides: [stride, stride], group }),
      );
      assert.deepEqual(y.dims, ref.dims);
      assertClose(y.data as Float32Array, ref.out, 1e-5, `conv g${group} s${stride} k${k}`);
    }
  });

  it('ConvTranspose with stride 2, padding and output padding', async () => {
    const xd = [1, 2, 3, 4];
    const x = ramp(24, 1, 21);
    const wd = [2, 3, 3, 3]; // [in, out, kh, kw]
    const w = ramp(54, 0.5, 22);
    const [s, p, op] = [2, 1, 1];
    const oh = (3 - 1) * s - 2 * p + 3 + op;
    const ow = (4 - 1) * s - 2 * p + 3 + op;
    const ref = new Float32Array(3 * oh * ow);
    for (let ic = 0; ic < 2; ic++)
      for (let iy = 0; iy < 3; iy++)
        for (let ix = 0; ix < 4; ix++)
          for (let oc = 0; oc < 3; oc++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const oy = iy * s - p + ky;
                const ox = ix * s - p + kx;
                if (oy < 0 || ox < 0 || oy >= oh || ox >= ow) continue;
                ref[(oc * oh + oy) * ow + ox]! += x[(ic * 3 + iy) * 4 + ix]! * w[((ic * 3 + oc) * 3 + ky) * 3 + kx]!;
              }
    const y = await unary(xd, x, (g, v) =>
      g.convTranspose(v, g.initializer('w', w, wd), undefined, { kernelShape: [3, 3], strides: [s, s], pads: [p, p, p, p], outputPadding: [op, op] }),
    );
    assert.deepEqual(y.dims, [1, 3, oh, ow]);
    assertClose(y.data as Float32Array, ref, 1e-5, 'convTranspose');
  });

  it('AveragePool, ReduceMean, Softmax, ArgMax', async () => {
    const x = ramp(2 * 16 * 16, 1, 31);
    const pooled = await unary([1, 2, 16, 16], x, (g, v) => g.averagePool(v, { kernelShape: [8, 8], strides: [8, 8] }));
    const ref: number[] = [];
    for (let c = 0; c < 2; c++)
      for (let by = 0; by < 2; by++)
        for (let bx = 0; bx < 2; bx++) {
          let s = 0;
          for (let y = 0; y < 8; y++) for (let xx = 0; xx < 8; xx++) s += x[(c * 16 + by * 8 + y) * 16 + bx * 8 + xx]!;
          ref.push(s / 64);
        }
    assert.deepEqual(pooled.dims, [1, 2, 2, 2]);
    assertClose(pooled.data as Float32Array, ref, 1e-6, 'averagePool');

    const m = ramp(2 * 3 * 4, 1, 32);
    const mean = await unary([2, 3, 4], m, (g, v) => g.reduceMean(v, [1], false));
    const mref: number[] = [];
    for (let b = 0; b < 2; b++) for (let k = 0; k < 4; k++) mref.push((m[b * 12 + k]! + m[b * 12 + 4 + k]! + m[b * 12 + 8 + k]!) / 3);
    assert.deepEqual(mean.dims, [2, 4]);
    assertClose(mean.data as Float32Array, mref, 1e-6, 'reduceMean');

    const sm = await unary([2, 3, 4], m, (g, v) => g.softmax(v, -1));
    const sref: number[] = [];
    for (let r = 0; r < 6; r++) {
      const row = Array.from(m.slice(r * 4, r * 4 + 4));
      const mx = Math.max(...row);
      const e = row.map((v) => Math.exp(v - mx));
      const z = e.reduce((p, q) => p + q);
      sref.push(...e.map((v) => v / z));
    }
    assertClose(sm.data as Float32Array, sref, 1e-6, 'softmax');

    const g = new GraphBuilder();
    const v = g.input('x', F, [2, 4]);
    g.output('i', ElemType.INT64, [2, 1], g.argMax(v, 1));
    const res = await runGraph(g, { x: f32([0, 3, 3, 1, 5, 0, 0, 2], [2, 4]) });
    assert.deepEqual(Array.from(res.i!.data as BigInt64Array), [1n, 0n]); // first of equal maxima, like CLIP's argmax
  });

  it('InstanceNormalization, GroupNorm and LayerNormalization', async () => {
    const x = ramp(2 * 4 * 3 * 3, 2, 41);
    const scale = Float32Array.of(1, 2, 0.5, -1);
    const bias = Float32Array.of(0, 0.1, -0.2, 0.3);
    const norm = (vals: number[], eps: number): number[] => {
      const mu = vals.reduce((p, q) => p + q) / vals.length;
      const v = vals.reduce((p, q) => p + (q - mu) ** 2, 0) / vals.length;
      return vals.map((q) => (q - mu) / Math.sqrt(v + eps));
    };
    // GroupNorm with 2 groups of 2 channels: normalise over (2 channels × 9 pixels), then per-channel affine.
    const gn = await unary([2, 4, 3, 3], x, (g, v) => g.groupNorm(v, 2, g.initializer('s', scale, [4]), g.initializer('b', bias, [4]), 1e-5));
    const gref: number[] = [];
    for (let n = 0; n < 2; n++)
      for (let grp = 0; grp < 2; grp++) {
        const start = (n * 4 + grp * 2) * 9;
        const normed = norm(Array.from(x.slice(start, start + 18)), 1e-5);
        normed.forEach((q, i) => gref.push(q * scale[grp * 2 + Math.floor(i / 9)]! + bias[grp * 2 + Math.floor(i / 9)]!));
      }
    assertClose(gn.data as Float32Array, gref, 1e-4, 'groupNorm');

    const inorm = await unary([2, 4, 3, 3], x, (g, v) => g.instanceNormalization(v, g.initializer('s', scale, [4]), g.initializer('b', bias, [4])));
    const iref: number[] = [];
    for (let nc = 0; nc < 8; nc++) iref.push(...norm(Array.from(x.slice(nc * 9, nc * 9 + 9)), 1e-5).map((q) => q * scale[nc % 4]! + bias[nc % 4]!));
    assertClose(inorm.data as Float32Array, iref, 1e-4, 'instanceNormalization');

    const ln = await unary([2, 9, 4], x.slice(0, 72), (g, v) => g.layerNormalization(v, g.initializer('s', scale, [4]), g.initializer('b', bias, [4])));
    const lref: number[] = [];
    for (let r = 0; r < 18; r++) lref.push(...norm(Array.from(x.slice(r * 4, r * 4 + 4)), 1e-5).map((q, i) => q * scale[i]! + bias[i]!));
    assertClose(ln.data as Float32Array, lref, 1e-4, 'layerNormalization');
  });

  it('shape ops: Shape Reshape Transpose Concat Slice Gather Unsqueeze Squeeze Expand Cast Pad DepthToSpace Constant', async () => {
    const x = Float32Array.from({ length: 24 }, (_, i) => i);
    const r = await unary([2, 3, 4], x, (g, v) => g.reshape(v, [0, -1]));
    assert.deepEqual(r.dims, [2, 12]);
    const rs = await unary([2, 3, 4], x, (g, v) => g.reshape(g.reshape(v, [4, 6]), g.shape(v)));
    assert.deepEqual(rs.dims, [2, 3, 4]);
    const t = await unary([2, 3, 4], x, (g, v) => g.transpose(v, [2, 0, 1]));
    assert.deepEqual(t.dims, [4, 2, 3]);
    assert.equal((t.data as Float32Array)[1], x[4]); // t[0,0,1] = x[0,1,0]
    const c = await unary([2, 3, 4], x, (g, v) => g.concat([v, v], 1));
    assert.deepEqual(c.dims, [2, 6, 4]);
    const s = await unary([2, 3, 4], x, (g, v) => g.slice(v, [1, 0], [3, 4], [1, 2], [1, 2]));
    assert.deepEqual(s.dims, [2, 2, 2]);
    assert.deepEqual(Array.from(s.data as Float32Array), [4, 6, 8, 10, 16, 18, 20, 22]);
    const ga = await unary([2, 3, 4], x, (g, v) => g.gather(v, g.tensorConst(Int32Array.of(2, 0), [2]), 1));
    assert.deepEqual(ga.dims, [2, 2, 4]);
    assert.deepEqual(Array.from((ga.data as Float32Array).slice(0, 8)), [8, 9, 10, 11, 0, 1, 2, 3]);
    const u = await unary([2, 3, 4], x, (g, v) => g.unsqueeze(v, [0, 3]));
    assert.deepEqual(u.dims, [1, 2, 3, 1, 4]);
    const sq = await unary([2, 3, 4], x, (g, v) => g.squeeze(g.unsqueeze(v, [0, 3]), [0]));
    assert.deepEqual(sq.dims, [2, 3, 1, 4]);
    const sqAll = await unary([2, 3, 4], x, (g, v) => g.squeeze(g.unsqueeze(v, [0, 3])));
    assert.deepEqual(sqAll.dims, [2, 3, 4]);
    const e = await unary([3, 1], Float32Array.of(1, 2, 3), (g, v) => g.expand(v, [2, 3, 4]));
    assert.deepEqual(e.dims, [2, 3, 4]);
    assert.deepEqual(Array.from((e.data as Float32Array).slice(0, 8)), [1, 1, 1, 1, 2, 2, 2, 2]);
    const p = await unary([1, 1, 2, 2], Float32Array.of(1, 2, 3, 4), (g, v) => g.pad(v, [0, 0, 1, 1, 0, 0, 1, 1], 'edge'));
    assert.deepEqual(Array.from(p.data as Float32Array), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);

    const d = await unary([1, 4, 1, 2], Float32Array.from({ length: 8 }, (_, i) => i), (g, v) => g.depthToSpace(v, 2, 'DCR'));
    assert.deepEqual(d.dims, [1, 1, 2, 4]);
    // DCR: out[y*2+by, x*2+bx] = in[channel by*2+bx, y, x]
    assert.deepEqual(Array.from(d.data as Float32Array), [0, 2, 1, 3, 4, 6, 5, 7]);

    const g = new GraphBuilder();
    const v = g.input('x', F, [3]);
    const k = g.constant({ data: Float32Array.of(10, 20, 30), dims: [3] });
    g.output('y', ElemType.INT32, [3], g.cast(g.add(v, k), ElemType.INT32));
    g.output('s', ElemType.INT64, [1], g.shape(v));
    const res = await runGraph(g, { x: f32([1.7, -2.2, 3], [3]) });
    assert.deepEqual(Array.from(res.y!.data as Int32Array), [11, 17, 33]); // Cast truncates toward zero
    assert.deepEqual(Array.from(res.s!.data as BigInt64Array), [3n]);
  });

  it('Resize nearest and linear ×2 (half_pixel)', async () => {
    const x = Float32Array.of(1, 2, 3, 4, 5, 6); // [1,1,2,3]
    const n = await unary([1, 1, 2, 3], x, (g, v) => g.resize(v, { mode: 'nearest', scales: [1, 1, 2, 2] }));
    assert.deepEqual(n.dims, [1, 1, 4, 6]);
    const nref: number[] = [];
    for (let y = 0; y < 4; y++) for (let xx = 0; xx < 6; xx++) nref.push(x[Math.floor(y / 2) * 3 + Math.floor(xx / 2)]!);
    assertClose(n.data as Float32Array, nref, 0, 'nearest');

    const l = await unary([1, 1, 2, 3], x, (g, v) => g.resize(v, { mode: 'linear', sizes: [1, 1, 4, 6] }));
    // half_pixel: source coordinate (o + 0.5) / 2 - 0.5, clamped to the edge.
    const src = (o: number, len: number): [number, number, number] => {
      const s = Math.min(Math.max((o + 0.5) / 2 - 0.5, 0), len - 1);
      const i0 = Math.floor(s);
      return [i0, Math.min(i0 + 1, len - 1), s - i0];
    };
    const lref: number[] = [];
    for (let y = 0; y < 4; y++)
      for (let xx = 0; xx < 6; xx++) {
        const [y0, y1, fy] = src(y, 2);
        const [x0, x1, fx] = src(xx, 3);
        const at = (a: number, b: number): number => x[a * 3 + b]!;
        lref.push((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1)));
      }
    assertClose(l.data as Float32Array, lref, 1e-6, 'linear');
  });

  it('rejects float attributes given as plain numbers, and unknown values', () => {
    const g = new GraphBuilder();
    const x = g.input('x', F, [1]);
    assert.throws(() => g.node('LeakyRelu', [x], 1, { alpha: 0.2 }), /attr\.float/);
    assert.doesNotThrow(() => g.node('LeakyRelu', [x], 1, { alpha: attr.float(0.2) }));
    assert.throws(() => g.add(x, 'nope'), /no value named "nope"/);
    assert.throws(() => g.input('x', F, [1]), /already used/);
  });

  it('names are unique and outputs can be renamed from internal values', () => {
    const g = new GraphBuilder();
    const x = g.input('x', F, ['batch', 3]);
    const a = g.relu(x);
    const b = g.relu(x);
    assert.notEqual(a, b);
    assert.equal(g.initializer('w', new Float32Array(1), [1]), 'w');
    assert.equal(g.initializer('w', new Float32Array(1), [1]), 'w_1');
    assert.equal(g.floatConst(0.5), g.floatConst(0.5)); // small constants shared
    assert.throws(() => g.initializer('bad', new Float32Array(3), [2, 2]), /12 bytes|want 16/);
  });
});
