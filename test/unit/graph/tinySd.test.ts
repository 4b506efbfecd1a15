// The tiny SD fixture: every variant loads in onnxruntime-node (CPU) with the exporters' names, element types
// and shapes; outputs are finite and depend on their inputs; the VAE round trip gives back a blurred image.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { f16BitsToF32, f32ToF16Bits } from '../../../models/graph';
import { resolveTinySdVariant, writeTinySdModel, type TinySdVariant } from '../../../models/testModel/tinySd';
import { buildTinyVocab } from '../../../models/testModel/tokenizer';
import { ramp } from './ortHelpers';

const root = { dir: '' };
before(async () => {
  root.dir = await mkdtemp(join(tmpdir(), 'sd-tiny-'));
});
after(async () => {
  await rm(root.dir, { recursive: true, force: true });
});

let counter = 0;
async function write(variant: Partial<TinySdVariant> = {}): Promise<string> {
  const dir = join(root.dir, `m${counter++}`);
  await writeTinySdModel(dir, variant);
  return dir;
}

type Meta = { name: string; type: string; shape: readonly (number | string)[] };
function meta(list: readonly ort.InferenceSession.ValueMetadata[]): Meta[] {
  return list.map((m) => {
    assert.ok(m.isTensor, `${m.name} is a tensor`);
    return { name: m.name, type: m.type, shape: m.shape };
  });
}

/** A float tensor in the model's precision. */
function floatTensor(fp16: boolean, data: Float32Array, dims: number[]): ort.Tensor {
  return fp16 ? new ort.Tensor('float16', f32ToF16Bits(data), dims) : new ort.Tensor('float32', data, dims);
}
function toF32(t: ort.Tensor): Float32Array {
  return t.type === 'float16' ? f16BitsToF32(t.data as Uint16Array) : (t.data as Float32Array);
}
function assertFinite(x: Float32Array, what: string): void {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) assert.fail(`${what}[${i}] = ${x[i]}`);
}
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function session(dir: string, part: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(join(dir, part, 'model.onnx'), { executionProviders: ['cpu'] });
}

/** Prompt ids like CLIPTokenizer's: BOS, tokens, EOS, padded with EOS to 77. */
function promptIds(vocabSize: number, tokens: number[], int64: boolean, batch = 1): ort.Tensor {
  const ids = new Array<number>(77).fill(vocabSize - 1);
  ids[0] = vocabSize - 2;
  tokens.forEach((t, i) => (ids[i + 1] = t));
  const all = Array.from({ length: batch }, () => ids).flat();
  return int64 ? new ort.Tensor('int64', BigInt64Array.from(all, BigInt), [batch, 77]) : new ort.Tensor('int32', Int32Array.from(all), [batch, 77]);
}

/** Checks names/types/shapes of all four models and runs each with input-dependence checks. */
async function checkVariant(partial: Partial<TinySdVariant>): Promise<void> {
  const v = resolveTinySdVariant(partial);
  const dir = await write(partial);
  const fp16 = v.precision === 'fp16';
  const ft = fp16 ? 'float16' : 'float32';
  const D = v.hiddenSize;
  const B: number | string = v.unetBatch === 'fixed1' ? 1 : 'batch';
  const vocabSize = buildTinyVocab().vocab.size;

  // text encoder
  const te = await session(dir, 'text_encoder');
  const idType = v.textInputType === 'int64' ? 'int64' : 'int32';
  assert.deepEqual(meta(te.inputMetadata), [{ name: 'input_ids', type: idType, shape: ['batch', 77] }]);
  assert.deepEqual(meta(te.outputMetadata), [
    { name: 'last_hidden_state', type: ft, shape: ['batch', 77, D] },
    { name: 'pooler_output', type: ft, shape: ['batch', D] },
  ]);
  const a = await te.run({ input_ids: promptIds(vocabSize, [300, 400, 500], idType === 'int64') });
  const b = await te.run({ input_ids: promptIds(vocabSize, [300, 401, 500], idType === 'int64') });
  assert.deepEqual(a.last_hidden_state!.dims, [1, 77, D]);
  assert.deepEqual(a.pooler_output!.dims, [1, D]);
  const ha = toF32(a.last_hidden_state!);
  const hb = toF32(b.last_hidden_state!);
  assertFinite(ha, 'last_hidden_state');
  // Token 2 changed: positions before it are untouched (causal), positions from it on (padding too) differ.
  assert.equal(maxAbsDiff(ha.subarray(0, 2 * D), hb.subarray(0, 2 * D)), 0);
  assert.ok(maxAbsDiff(ha.subarray(2 * D, 3 * D), hb.subarray(2 * D, 3 * D)) > 1e-3);
  assert.ok(maxAbsDiff(ha.subarray(60 * D, 61 * D), hb.subarray(60 * D, 61 * D)) > 1e-4);
  // Position matters: equal tokens at different positions embed differently.
  assert.ok(maxAbsDiff(ha.subarray(70 * D, 71 * D), ha.subarray(71 * D, 72 * D)) > 1e-3);
  // pooler_output is the hidden state at the first EOS (position 4).
  assert.ok(maxAbsDiff(toF32(a.pooler_output!), ha.subarray(4 * D, 5 * D)) === 0);
  await te.release();

  // UNet
  const unet = await session(dir, 'unet');
  const tsMeta = v.timestepType === 'int64' ? { type: 'int64', shape: [1] } : { type: v.timestepType, shape: [B] };
  assert.deepEqual(meta(unet.inputMetadata), [
    { name: v.brokenUnetInputName ?? 'sample', type: ft, shape: [B, 4, 'height', 'width'] },
    { name: 'timestep', ...tsMeta },
    { name: 'encoder_hidden_states', type: ft, shape: [B, 77, D] },
  ]);
  assert.deepEqual(meta(unet.outputMetadata), [{ name: 'out_sample', type: ft, shape: [B, 4, 'height', 'width'] }]);
  if (v.brokenUnetInputName === undefined) {
    const batch = v.unetBatch === 'fixed1' ? 1 : 2;
    const sample = floatTensor(fp16, ramp(batch * 4 * 8 * 6, 1.5, 5), [batch, 4, 8, 6]);
    const ctx = floatTensor(fp16, ramp(batch * 77 * D, 1, 6), [batch, 77, D]);
    const ts = (t: number): ort.Tensor =>
      v.timestepType === 'int64'
        ? new ort.Tensor('int64', BigInt64Array.of(BigInt(t)), [1])
        : floatTensor(v.timestepType === 'float16', new Float32Array(batch).fill(t), [batch]);
    const run = async (s: ort.Tensor, t: number, c: ort.Tensor): Promise<Float32Array> =>
      toF32((await unet.run({ sample: s, timestep: ts(t), encoder_hidden_states: c })).out_sample!);
    const base = await run(sample, 981, ctx);
    assertFinite(base, 'out_sample');
    assert.equal(base.length, batch * 4 * 8 * 6);
    const rms = Math.sqrt(base.reduce((s, q) => s + q * q, 0) / base.length);
    assert.ok(rms > 0.05 && rms < 3, `eps rms ${rms} is O(1)`);
    assert.ok(maxAbsDiff(base, await run(sample, 1, ctx)) > 1e-3, 'depends on timestep');
    // The learned terms are scaled by LEARNED_SHIFT/σ (a stand-in denoiser): check the context where σ is small.
    assert.ok(maxAbsDiff(await run(sample, 1, ctx), await run(sample, 1, floatTensor(fp16, ramp(batch * 77 * D, 1, 7), [batch, 77, D]))) > 1e-3, 'depends on context');
    assert.ok(maxAbsDiff(base, await run(floatTensor(fp16, ramp(batch * 4 * 8 * 6, 1.5, 8), [batch, 4, 8, 6]), 981, ctx)) > 1e-3, 'depends on sample');
  }
  await unet.release();

  // VAE
  const enc = await session(dir, 'vae_encoder');
  const encOut = v.vaeEncoderOutput;
  const encC = encOut === 'latent_parameters' ? 8 : 4;
  assert.deepEqual(meta(enc.inputMetadata), [{ name: 'sample', type: ft, shape: ['batch', 3, 'height', 'width'] }]);
  assert.deepEqual(meta(enc.outputMetadata), [{ name: encOut, type: ft, shape: ['batch', encC, 'latent_height', 'latent_width'] }]);
  const dec = await session(dir, 'vae_decoder');
  assert.deepEqual(meta(dec.inputMetadata), [{ name: 'latent_sample', type: ft, shape: ['batch', 4, 'latent_height', 'latent_width'] }]);
  assert.deepEqual(meta(dec.outputMetadata), [{ name: 'sample', type: ft, shape: ['batch', 3, 'height', 'width'] }]);
  const img = smoothImage(2, 64, 48);
  const latent = (await enc.run({ sample: floatTensor(fp16, img, [2, 3, 64, 48]) }))[encOut]!;
  assert.deepEqual(latent.dims, [2, encC, 8, 6]);
  const lat = toF32(latent);
  assertFinite(lat, encOut);
  const mean = encOut === 'latent_parameters' ? meanOf(lat, 2, 8, 48) : lat;
  if (encOut === 'latent_parameters') assert.equal(lat[4 * 48], -6, 'logvar channels are −6');
  const scaled = Math.sqrt(mean.reduce((s, q) => s + q * q, 0) / mean.length) * 0.18215;
  // LATENT_GAIN puts a colourful picture's scaled latents at rms ≈ 4 (SD's ≈ 1): a strong signal for the analytic denoiser.
  assert.ok(scaled > 2 && scaled < 8, `scaled latent rms ${scaled} is LATENT_GAIN's`);
  const decoded = toF32((await dec.run({ latent_sample: floatTensor(fp16, mean, [2, 4, 8, 6]) })).sample!);
  assert.equal(decoded.length, img.length);
  assertFinite(decoded, 'decoded');
  let mae = 0;
  for (let i = 0; i < img.length; i++) mae += Math.abs(decoded[i]! - img[i]!);
  mae /= img.length;
  assert.ok(mae < 0.05, `decode(encode(img)) mean abs error ${mae}`);
  // A flat colour comes back exactly (up to fp16 rounding): no darkened rim, no colour shift.
  const flat = new Float32Array(3 * 16 * 16).map((_, i) => [0.5, -0.25, 0.75][Math.floor(i / 256)]!);
  const flatLat = toF32((await enc.run({ sample: floatTensor(fp16, flat, [1, 3, 16, 16]) }))[encOut]!);
  const flatDec = toF32((await dec.run({ latent_sample: floatTensor(fp16, flatLat.subarray(0, 16), [1, 4, 2, 2]) })).sample!);
  assert.ok(maxAbsDiff(flatDec, flat) < (fp16 ? 4e-3 : 1e-5), `flat round trip off by ${maxAbsDiff(flatDec, flat)}`);
  await enc.release();
  await dec.release();
}

/** A smooth image in [-0.9, 0.9], different per channel and batch item. */
function smoothImage(batch: number, h: number, w: number): Float32Array {
  const out = new Float32Array(batch * 3 * h * w);
  for (let b = 0; b < batch; b++)
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          out[((b * 3 + c) * h + y) * w + x] = 0.9 * Math.sin((2 * Math.PI * (x + 2 * y)) / (160 + 40 * c) + b + c);
  return out;
}

/** The first 4 of 8 channels (the mean of mean ++ logvar). */
function meanOf(params: Float32Array, batch: number, channels: number, plane: number): Float32Array {
  const out = new Float32Array(batch * 4 * plane);
  for (let b = 0; b < batch; b++) out.set(params.subarray(b * channels * plane, (b * channels + 4) * plane), b * 4 * plane);
  return out;
}

describe('tiny SD fixture', () => {
  const variants: [string, Partial<TinySdVariant>][] = [
    ['default (fp32, float timestep, dynamic batch, external UNet data)', {}],
    ['fp16 everywhere', { precision: 'fp16' }],
    ['int64 timestep of shape [1]', { timestepType: 'int64' }],
    ['fixed batch 1', { unetBatch: 'fixed1' }],
    ['Optimum latent_parameters', { vaeEncoderOutput: 'latent_parameters' }],
    ['int64 input_ids, hidden 48, v_prediction, inline UNet', { textInputType: 'int64', hiddenSize: 48, predictionType: 'v_prediction', unetExternalData: false }],
    ['fp16 with int64 timestep, fixed batch, latent_parameters', { precision: 'fp16', timestepType: 'int64', unetBatch: 'fixed1', vaeEncoderOutput: 'latent_parameters' }],
    ['broken UNet input name', { brokenUnetInputName: 'latent_model_input' }],
  ];
  for (const [name, variant] of variants) it(`loads and runs: ${name}`, () => checkVariant(variant));

  it('writes the diffusers layout with configs, tokenizer and external UNet weights', async () => {
    const dir = await write({ predictionType: 'v_prediction' });
    assert.deepEqual((await readdir(dir)).sort(), ['model_index.json', 'scheduler', 'text_encoder', 'tokenizer', 'unet', 'vae_decoder', 'vae_encoder']);
    const index = JSON.parse(await readFile(join(dir, 'model_index.json'), 'utf8'));
    assert.equal(index._class_name, 'OnnxStableDiffusionPipeline');
    assert.deepEqual(index.unet, ['diffusers', 'OnnxRuntimeModel']);
    assert.deepEqual(index.tokenizer, ['transformers', 'CLIPTokenizer']);
    const sched = JSON.parse(await readFile(join(dir, 'scheduler', 'scheduler_config.json'), 'utf8'));
    assert.equal(sched._class_name, 'PNDMScheduler');
    assert.equal(sched.prediction_type, 'v_prediction');
    assert.equal(sched.beta_schedule, 'scaled_linear');
    assert.deepEqual([sched.beta_start, sched.beta_end, sched.num_train_timesteps], [0.00085, 0.012, 1000]);
    assert.deepEqual((await readdir(join(dir, 'unet'))).sort(), ['model.onnx', 'weights.pb']);
    assert.ok((await stat(join(dir, 'unet', 'weights.pb'))).size > 2000);
    assert.deepEqual((await readdir(join(dir, 'tokenizer'))).sort(), ['merges.txt', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.json']);
  });

  it('generates a valid CLIP BPE vocabulary', async () => {
    const dir = await write();
    const vocab: Record<string, number> = JSON.parse(await readFile(join(dir, 'tokenizer', 'vocab.json'), 'utf8'));
    const lines = (await readFile(join(dir, 'tokenizer', 'merges.txt'), 'utf8')).split('\n');
    assert.equal(lines[0], '#version: 0.2');
    const merges = lines.slice(1).filter((l) => l.length > 0);
    assert.ok(merges.length >= 200, `${merges.length} merges`);
    const size = Object.keys(vocab).length;
    assert.equal(size, 512 + merges.length + 2);
    assert.deepEqual(Object.values(vocab).sort((p, q) => p - q), Array.from({ length: size }, (_, i) => i));
    assert.equal(vocab['<|startoftext|>'], size - 2);
    assert.equal(vocab['<|endoftext|>'], size - 1);
    assert.equal(vocab['!'], 0); // CLIP order: printable bytes first
    assert.equal(vocab['a</w>'], 256 + vocab.a!);
    assert.ok(vocab['Ġ'] !== undefined, 'byte 0x20 maps to U+0120');
    // Every merge joins two tokens that exist before it, and its result is the next id.
    merges.forEach((m, i) => {
      const [l = '', r = '', extra] = m.split(' ');
      assert.equal(extra, undefined, m);
      assert.ok(vocab[l] !== undefined && vocab[l] < 512 + i, `merge ${i} left "${l}"`);
      assert.ok(vocab[r] !== undefined && vocab[r] < 512 + i, `merge ${i} right "${r}"`);
      assert.equal(vocab[l + r], 512 + i, m);
    });
    assert.ok(vocab['photo</w>'] !== undefined && vocab['the</w>'] !== undefined, 'common words are single tokens');
    const special = JSON.parse(await readFile(join(dir, 'tokenizer', 'special_tokens_map.json'), 'utf8'));
    assert.equal(special.eos_token.content, '<|endoftext|>');
  });

  it('is deterministic, and honours omitPart', async () => {
    const a = await write();
    const b = await write({ omitPart: 'unet' });
    for (const f of ['text_encoder/model.onnx', 'vae_decoder/model.onnx', 'tokenizer/vocab.json', 'tokenizer/merges.txt']) {
      assert.deepEqual(await readFile(join(a, f)), await readFile(join(b, f)), f);
    }
    assert.ok(!(await readdir(b)).includes('unet'));
    assert.ok(!(await readdir(await write({ omitPart: 'vae_decoder' }))).includes('vae_decoder'));
    assert.ok(!(await readdir(await write({ omitPart: 'model_index' }))).includes('model_index.json'));
  });
});
