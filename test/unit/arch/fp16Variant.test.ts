// The fp16 UNet graph for GPU providers (models/unetVariant.ts precision 'fp16'), on the tiny SD1 checkpoint, on the
// CPU: its structure (float16 in and out, every weight fp16 in weights.fp16.bin, attention fused into
// com.microsoft MultiHeadAttention, no Softmax left), its numbers against the fp32 graph and PyTorch's reference
// eps (ONNX Runtime's CPU provider runs the fp16 nodes through casts), which provider gets it, and the fall back
// to the fp32 graph when the GPU provider does not start.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { modelLayout } from '../../../daemon/parts/checkpointModel';
import { decodeModel, ElemType, f16BitsToF32, f32ToF16Bits } from '../../../models/graph';
import { variantForProvider } from '../../../models/unetVariant';
import { testModelManager } from '../../fixtures/testServices';
import { cleanup, fixture, io, type IoTensor } from './archHelpers';
import { tinyCheckpointEnv } from './tinyCheckpoint';

const env = { user: '', cache: '', root: '', out: '' };
let checkpoint = '';
before(async () => {
  Object.assign(env, await tinyCheckpointEnv());
  process.env.SD_STUDIO_CACHE_DIR = env.cache;
  process.env.SD_STUDIO_TOKENIZER = fixture('../clip-tokenizer');
  checkpoint = join(env.user, 'tiny.safetensors');
});
after(cleanup);

async function eps(model: string, half: boolean, ref: Map<string, IoTensor>): Promise<Float32Array> {
  const t = (name: string): ort.Tensor => {
    const v = ref.get(name)!;
    return half ? new ort.Tensor('float16', f32ToF16Bits(v.data as Float32Array), v.dims) : new ort.Tensor('float32', v.data as Float32Array, v.dims);
  };
  const s = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const out = (await s.run({ sample: t('x'), timestep: t('timesteps'), encoder_hidden_states: t('context') })).out_sample!;
    return half ? f16BitsToF32(out.data as Uint16Array) : (out.data as Float32Array);
  } finally {
    await s.release();
  }
}

const relL2 = (a: Float32Array, b: Float32Array): number => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
};

describe('fp16 UNet graph with fused attention (GPU providers)', () => {
  it('structure: float16 I/O, fp16 weights beside the fp32 ones, MultiHeadAttention for every attention; numbers close to fp32 and PyTorch', async () => {
    const plainPath = (await modelLayout(checkpoint)).parts.unet!;
    const halfPath = (await modelLayout(checkpoint, { unet: { precision: 'fp16' } })).parts.unet!;
    assert.equal(halfPath, join(dirname(plainPath), 'model.fp16.onnx'));
    const plain = decodeModel(readFileSync(plainPath)).graph!;
    const half = decodeModel(readFileSync(halfPath)).graph!;
    for (const v of [...half.input!, ...half.output!]) assert.equal(v.type?.tensorType?.elemType, ElemType.FLOAT16, `${v.name} is float16`);
    const mha = (g: typeof half): number => g.node!.filter((n) => n.opType === 'MultiHeadAttention' && n.domain === 'com.microsoft').length;
    assert.ok(mha(half) > 0 && mha(half) === mha(plain), `${mha(half)} fused attentions, as the fp32 graph`);
    assert.equal(half.node!.filter((n) => n.opType === 'Softmax').length, 0, 'no unfused attention left');
    const external = half.initializer!.filter((t) => t.externalData?.length);
    assert.ok(external.length > 100);
    for (const t of external) {
      assert.equal(t.dataType, ElemType.FLOAT16, `${t.name} is fp16`);
      assert.equal(t.externalData!.find((e) => e.key === 'location')?.value, 'weights.fp16.bin', `${t.name} lives in weights.fp16.bin`);
    }
    const halfBytes = statSync(join(dirname(halfPath), 'weights.fp16.bin')).size;
    const plainBytes = plain.initializer!.filter((t) => t.externalData?.length).reduce((n, t) => n + Number(t.externalData!.find((e) => e.key === 'length')?.value ?? 0), 0);
    assert.ok(Math.abs(halfBytes / plainBytes - 0.5) < 0.01, `fp16 weights ${halfBytes} B = half of fp32 ${plainBytes} B`);

    const ref = await io('unet-sd1.io.safetensors');
    const want = ref.get('eps')!.data as Float32Array;
    const fp32 = await eps(plainPath, false, ref);
    const fp16 = await eps(halfPath, true, ref);
    const vsFp32 = relL2(fp16, fp32);
    const vsTorch = relL2(fp16, want);
    console.log(`  fp16 vs fp32 graph: relative L2 ${vsFp32.toExponential(2)}; vs PyTorch fp32: ${vsTorch.toExponential(2)} (fp32 graph vs PyTorch: ${relL2(fp32, want).toExponential(2)})`);
    assert.ok(vsFp32 < 5e-3 && vsTorch < 5e-3, 'fp16 rounding only');
  });

  it('CUDA, DirectML and WebGPU get the fp16 graph; CPU and Core ML keep what was asked; int8 stays int8', () => {
    for (const p of ['cuda', 'dml', 'webgpu']) assert.deepEqual(variantForProvider({ tokenMerging: true, precision: 'fp32' }, p), { tokenMerging: true, precision: 'fp16' });
    assert.deepEqual(variantForProvider({}, 'cuda'), { precision: 'fp16' });
    for (const p of ['cpu', 'coreml']) assert.deepEqual(variantForProvider({ precision: 'fp32' }, p), { precision: 'fp32' });
    assert.deepEqual(variantForProvider({ precision: 'int8' }, 'cuda'), { precision: 'int8' });
  });

  it('a GPU provider that does not start: the fp32 graph is loaded instead, with the warning', async () => {
    const warnings: string[] = [];
    // No CUDA on this machine (CI has no GPU): the pool asks for it, fails, and falls back to the CPU.
    const models = testModelManager(1, 'cuda', (m) => warnings.push(m));
    try {
      const m = await models.get(checkpoint);
      assert.match(warnings.join('\n'), /execution provider "cuda" is not available/);
      assert.equal(m.unetVariant.precision, 'fp32');
      assert.ok(m.layout.parts.unet!.endsWith('model.onnx'), m.layout.parts.unet);
      assert.equal(await models.get(checkpoint), m, 'the next job keeps the loaded model (no second swap)');
    } finally {
      await models.dispose();
    }
  });
});
