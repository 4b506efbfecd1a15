import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, readSafetensors } from '../../../models/formats/safetensors';
import { readTensor, type DType } from '../../../models/formats/tensorRecord';
import { f32ToF16Bits, f16BitsToF32 } from '../../../models/graph/float16';
import { mergeCheckpoints } from '../../../models/merge';
import { HashCache, sha256Full } from '../../../models/hash';

const tmp = () => mkdtempSync(join(tmpdir(), 'sd-merge-'));

/** Deterministic pseudo-random values. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return out;
}
type T = { name: string; dtype: DType; shape: number[]; v: Float32Array };
const enc = (t: T) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: new Uint8Array(t.dtype === 'F16' ? f32ToF16Bits(t.v).buffer : t.v.buffer) });
/** Values as stored (fp16-rounded for F16). */
const stored = (t: T) => (t.dtype === 'F16' ? f16BitsToF32(f32ToF16Bits(t.v)) : t.v);

function model(seed: number, opts: { inChannels?: number; dtype?: DType; extra?: boolean } = {}): T[] {
  const dt = opts.dtype ?? 'F32';
  const c = opts.inChannels ?? 4;
  const ts: T[] = [
    { name: 'model.diffusion_model.input_blocks.0.0.weight', dtype: dt, shape: [8, c, 3, 3], v: values(8 * c * 9, seed) },
    { name: 'model.diffusion_model.input_blocks.0.0.bias', dtype: dt, shape: [8], v: values(8, seed + 1) },
    { name: 'first_stage_model.decoder.conv_in.weight', dtype: dt, shape: [4, 4], v: values(16, seed + 2) },
    { name: 'alphas_cumprod', dtype: 'F32', shape: [10], v: values(10, seed + 3) },
    { name: 'cond_stage_model.transformer.text_model.embeddings.position_ids', dtype: 'F32', shape: [1, 5], v: Float32Array.from([0, 1, 2, 3, 4]) },
  ];
  if (opts.extra) ts.push({ name: 'model.only_here', dtype: dt, shape: [3], v: values(3, seed + 4) });
  return ts;
}
async function save(dir: string, name: string, ts: T[], metadata: Record<string, string> = {}): Promise<string> {
  const p = join(dir, name);
  await writeSafetensors(p, ts.map(enc), metadata);
  return p;
}
async function load(p: string): Promise<Map<string, { dtype: DType; shape: number[]; v: Float32Array }>> {
  const st = await readSafetensors(p);
  const out = new Map();
  for (const r of st.tensors) out.set(r.name, { dtype: r.dtype, shape: r.shape, v: (await readTensor(r, 'F32')) as Float32Array });
  return out;
}
/** |x − y| ≤ 1 ulp of the dtype at y. */
function within1ulp(x: number, y: number, dtype: DType): boolean {
  const ulp = dtype === 'F16' ? Math.max(2 ** -24, 2 ** (Math.floor(Math.log2(Math.abs(y) || 2 ** -14)) - 10)) : Math.max(2 ** -149, 2 ** (Math.floor(Math.log2(Math.abs(y) || 2 ** -126)) - 23));
  return Math.abs(x - y) <= ulp;
}
const cache = () => new HashCache(tmp());

for (const dtype of ['F32', 'F16'] as DType[]) {
  test(`add difference of three ${dtype} checkpoints: every tensor within 1 ulp, metadata lists the recipe`, async () => {
    const dir = tmp();
    const [A, B, C] = [model(1, { dtype, extra: true }), model(100, { dtype }), model(200, { dtype })];
    C.splice(1, 1); // C lacks the bias: B − C is zero there, A passes through
    const [pa, pb, pc] = [await save(dir, 'a.safetensors', A), await save(dir, 'b.safetensors', B), await save(dir, 'c.safetensors', C)];
    const out = join(dir, 'out.safetensors');
    const res = await mergeCheckpoints({ primary: pa, secondary: pb, tertiary: pc, method: 'add-difference', multiplier: 0.7, out, hashCache: cache() });
    const got = await load(out);
    assert.deepEqual([...got.keys()], A.map((t) => t.name), 'output key set is A\'s, in order');
    for (const a of A) {
      const g = got.get(a.name)!;
      const b = B.find((t) => t.name === a.name);
      const c = C.find((t) => t.name === a.name);
      const merged = a.name.includes('model') && b && !a.name.endsWith('position_ids');
      const [sa, sb, sc] = [stored(a), b && stored(b), c && stored(c)];
      for (let i = 0; i < sa.length; i++) {
        const want = merged ? sa[i]! + 0.7 * (c ? sb![i]! - sc![i]! : 0) : sa[i]!;
        assert.ok(within1ulp(g.v[i]!, want, g.dtype), `${a.name}[${i}]: ${g.v[i]} vs ${want}`);
      }
    }
    const st = await readSafetensors(out);
    const recipe = JSON.parse(st.metadata.sd_merge_recipe!);
    assert.equal(recipe.type, 'webui');
    assert.equal(recipe.interp_method, 'Add difference');
    assert.equal(recipe.multiplier, 0.7);
    assert.equal(recipe.primary_model_hash, await sha256Full(pa, { cache: false }));
    assert.equal(st.metadata.format, 'pt');
    const models = JSON.parse(st.metadata.sd_merge_models!);
    assert.equal(Object.keys(models).length, 3);
    assert.equal(res.sha256, await sha256Full(out, { cache: false }));
  });
}

test('weighted sum with --fp16 halves the output; A-only keys stay fp32 (A1111 quirk)', async () => {
  const dir = tmp();
  const [pa, pb] = [await save(dir, 'a.safetensors', model(1)), await save(dir, 'b.safetensors', model(2))];
  const full = join(dir, 'full.safetensors');
  const halfOut = join(dir, 'half.safetensors');
  await mergeCheckpoints({ primary: pa, secondary: pb, method: 'weighted-sum', multiplier: 0.3, out: full, hashCache: cache() });
  await mergeCheckpoints({ primary: pa, secondary: pb, method: 'weighted-sum', multiplier: 0.3, saveAsHalf: true, out: halfOut, hashCache: cache() });
  const h = await load(halfOut);
  assert.equal(h.get('model.diffusion_model.input_blocks.0.0.weight')!.dtype, 'F16');
  assert.equal(h.get('alphas_cumprod')!.dtype, 'F32');
  const f = await load(full);
  const a = stored(model(1)[0]!), b = stored(model(2)[0]!);
  const w = f.get('model.diffusion_model.input_blocks.0.0.weight')!.v;
  for (let i = 0; i < a.length; i++) assert.ok(within1ulp(w[i]!, 0.7 * a[i]! + 0.3 * b[i]!, 'F32'));
  // Merged tensors dominate: the half output's tensor data is about half the size.
  const data = async (p: string) => statSync(p).size - (await readSafetensors(p)).dataStart;
  const [sf, sh] = [await data(full), await data(halfOut)];
  assert.ok(sh < sf * 0.55, `${sh} vs ${sf}`);
});

test('fp16 halving of a whole model ("No interpolation") halves the size', async () => {
  const dir = tmp();
  const big: T[] = [{ name: 'model.w', dtype: 'F32', shape: [4096], v: values(4096, 9) }];
  const pa = await save(dir, 'a.safetensors', big);
  const out = join(dir, 'h.safetensors');
  await mergeCheckpoints({ primary: pa, method: 'no-interpolation', multiplier: 0, saveAsHalf: true, out, hashCache: cache() });
  const ratio = statSync(out).size / statSync(pa).size;
  assert.ok(ratio > 0.45 && ratio < 0.55, String(ratio));
});

test('inpainting A (9 channels) with normal B: channels 0..3 merged, the rest kept, flagged', async () => {
  const dir = tmp();
  const A = model(1, { inChannels: 9 }), B = model(2);
  const [pa, pb] = [await save(dir, 'a.safetensors', A), await save(dir, 'b.safetensors', B)];
  const out = join(dir, 'o.safetensors');
  const res = await mergeCheckpoints({ primary: pa, secondary: pb, method: 'weighted-sum', multiplier: 0.5, out, hashCache: cache() });
  assert.equal(res.isInpainting, true);
  const w = (await load(out)).get('model.diffusion_model.input_blocks.0.0.weight')!;
  assert.deepEqual(w.shape, [8, 9, 3, 3]);
  const a = A[0]!.v, b = B[0]!.v;
  for (let o = 0; o < 8; o++) for (let c = 0; c < 9; c++) for (let s = 0; s < 9; s++) {
    const ai = (o * 9 + c) * 9 + s;
    const want = c < 4 ? 0.5 * a[ai]! + 0.5 * b[(o * 4 + c) * 9 + s]! : a[ai]!;
    assert.ok(within1ulp(w.v[ai]!, want, 'F32'));
  }
  assert.equal(JSON.parse((await readSafetensors(out)).metadata.sd_merge_recipe!).is_inpainting, true);
  // And the other way round is refused, with no output left behind.
  const bad = join(dir, 'bad.safetensors');
  await assert.rejects(mergeCheckpoints({ primary: pb, secondary: pa, method: 'weighted-sum', multiplier: 0.5, out: bad, hashCache: cache() }), /A must be the inpainting model/);
  assert.ok(!readdirSync(dir).some((f) => f.startsWith('bad') || f.includes('.tmp')));
});

test('bake VAE and discard regex', async () => {
  const dir = tmp();
  const pa = await save(dir, 'a.safetensors', model(1));
  const vae: T[] = [{ name: 'decoder.conv_in.weight', dtype: 'F32', shape: [2, 2], v: Float32Array.from([9, 8, 7, 6]) }, { name: 'loss.w', dtype: 'F32', shape: [1], v: Float32Array.from([1]) }];
  const pv = await save(dir, 'v.safetensors', vae);
  const out = join(dir, 'o.safetensors');
  await mergeCheckpoints({ primary: pa, method: 'no-interpolation', multiplier: 0, bakeVae: pv, discard: 'alphas', out, saveAsHalf: true, hashCache: cache() });
  const got = await load(out);
  const baked = got.get('first_stage_model.decoder.conv_in.weight')!;
  assert.deepEqual([baked.dtype, baked.shape, Array.from(baked.v)], ['F16', [2, 2], [9, 8, 7, 6]]);
  assert.equal(got.has('alphas_cumprod'), false);
  assert.equal(got.has('first_stage_model.loss.w'), false);
});

test('cancel: aborts, removes the temp file, leaves no output', async () => {
  const dir = tmp();
  const [pa, pb] = [await save(dir, 'a.safetensors', model(1)), await save(dir, 'b.safetensors', model(2))];
  const ac = new AbortController();
  const out = join(dir, 'o.safetensors');
  await assert.rejects(mergeCheckpoints({
    primary: pa, secondary: pb, method: 'weighted-sum', multiplier: 0.5, out, signal: ac.signal, hashCache: cache(),
    onProgress: (p) => { if (p.stage === 'merging') ac.abort(); },
  }));
  assert.deepEqual(readdirSync(dir).sort(), ['a.safetensors', 'b.safetensors']);
});

test('merging torch checkpoints (zip) reads them through the safe reader', async () => {
  const { sharedPath } = await import('../../sharedPath');
  const dir = tmp();
  const ck = sharedPath('models-fixtures', 'torch-pickles', 'ckpt_fp32_state_dict.ckpt');
  const fp16 = sharedPath('models-fixtures', 'torch-pickles', 'flat_fp16.pt');
  const out = join(dir, 'o.safetensors');
  const res = await mergeCheckpoints({ primary: ck, secondary: fp16, method: 'weighted-sum', multiplier: 0.5, out, hashCache: cache() });
  assert.equal(res.tensors, 5);
  const got = await load(out);
  assert.equal(got.get('model.diffusion_model.input_blocks.0.0.weight')!.dtype, 'F32'); // f32 ⊕ f16 → f32
  await assert.rejects(
    mergeCheckpoints({ primary: sharedPath('models-fixtures', 'torch-pickles', 'hostile_os_system.ckpt'), method: 'no-interpolation', multiplier: 0, out, overwrite: true, hashCache: cache() }),
    /posix\.system/,
  );
});
