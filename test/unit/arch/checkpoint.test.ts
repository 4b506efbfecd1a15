// Whole checkpoints → diffusers ONNX folders: detection, weights pointed into the file (fp32) or converted
// (fp16) giving the same outputs, the cache reused on the second load, nothing written beside the checkpoint,
// and readable refusals of other families and damaged files.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { checkpointToOnnx } from '../../../models/checkpointToOnnx';
import { detectCheckpoint, UnsupportedCheckpointError } from '../../../models/detect';
import { openWeights, stateDict } from '../../../models/formats/open';
import { cleanup, f32, fixture, io, maxAbsDiff, report, tempDir } from './archHelpers';
import { keyTable, writeTinyCheckpoint } from './tinyCheckpoint';

const SD1 = ['unet-sd1.safetensors', 'clip-l-text.safetensors', 'vae.safetensors'];
const SD2 = ['unet-sd2.safetensors', 'openclip-h-text.safetensors', 'vae.safetensors'];
const env = { user: '', cache: '' };

before(async () => {
  env.user = await tempDir();
  env.cache = await tempDir();
  await writeTinyCheckpoint(join(env.user, 'tiny16.safetensors'), SD1, 'F16');
  await writeTinyCheckpoint(join(env.user, 'tiny32.safetensors'), SD1, 'F32');
  writeFileSync(join(env.user, 'heads.json'), JSON.stringify({ hf_config: { num_attention_heads: 4 } }));
});
after(cleanup);

async function unetEps(dir: string): Promise<Float32Array> {
  const ref = await io('unet-sd1.io.safetensors');
  const s = await ort.InferenceSession.create(join(dir, 'unet', 'model.onnx'), { intraOpNumThreads: 1 });
  const r = await s.run({ sample: f32(ref.get('x')!), timestep: f32(ref.get('timesteps')!), encoder_hidden_states: f32(ref.get('context')!) });
  await s.release();
  return r.out_sample!.data as Float32Array;
}

describe('checkpointToOnnx on tiny single-file checkpoints', () => {
  it('fp16 checkpoint: detected, converted into the cache, reproduces PyTorch, reused on the second load', async () => {
    const before = readdirSync(env.user).sort();
    const cp = join(env.user, 'tiny16.safetensors');
    const first = await checkpointToOnnx({ checkpoint: cp, config: join(env.user, 'heads.json'), cacheDir: env.cache, hashCache: false, tokenizerDir: join(fixture('..'), 'clip-tokenizer') });
    assert.equal(first.cached, false);
    assert.equal(first.detection.family, 'sd1');
    assert.equal(first.detection.precision, 'fp16');
    assert.equal(first.prediction, 'epsilon');
    assert.equal(first.tokenizer, 'copied');
    assert.equal(first.parts.unet!.pointed, 0, 'fp16 weights cannot be read in place by an fp32 graph');
    for (const p of ['text_encoder', 'unet', 'vae_encoder', 'vae_decoder']) assert.ok(existsSync(join(first.dir, p, 'model.onnx')), p);
    assert.ok(existsSync(join(first.dir, 'tokenizer', 'vocab.json')));
    assert.equal(JSON.parse(readFileSync(join(first.dir, 'scheduler', 'scheduler_config.json'), 'utf8')).prediction_type, 'epsilon');
    const ref = await io('unet-sd1.io.safetensors');
    const err = maxAbsDiff(await unetEps(first.dir), ref.get('eps')!.data as Float32Array);
    report('checkpoint (fp16 file) unet eps', err, 2e-5);
    assert.ok(err <= 2e-5);
    const second = await checkpointToOnnx({ checkpoint: cp, config: join(env.user, 'heads.json'), cacheDir: env.cache, hashCache: false });
    assert.equal(second.cached, true);
    assert.equal(second.dir, first.dir);
    console.log(`  build ${first.seconds.toFixed(2)} s, cached load ${second.seconds.toFixed(3)} s`);
    assert.deepEqual(readdirSync(env.user).sort(), before, 'nothing written beside the checkpoint');
  });

  it('fp32 checkpoint: weights point into the file (hard link, no copy) and give the same outputs', async () => {
    const a = await checkpointToOnnx({ checkpoint: join(env.user, 'tiny32.safetensors'), config: join(env.user, 'heads.json'), cacheDir: env.cache, hashCache: false });
    assert.ok(a.parts.unet!.pointed > 600, `pointed ${a.parts.unet!.pointed}`);
    assert.equal(a.parts.unet!.converted, 0);
    const b = await checkpointToOnnx({ checkpoint: join(env.user, 'tiny16.safetensors'), config: join(env.user, 'heads.json'), cacheDir: env.cache, hashCache: false });
    const d = maxAbsDiff(await unetEps(a.dir), await unetEps(b.dir));
    report('fp32 file vs fp16 file, same weights', d, 1e-6);
    assert.ok(d <= 1e-6);
  });

  it('a checkpoint reached through a symlink (shared A1111 model folders often are) links the real file', async () => {
    const dir = await tempDir();
    const linked = join(dir, 'linked.safetensors');
    symlinkSync(join(env.user, 'tiny32.safetensors'), linked);
    const a = await checkpointToOnnx({ checkpoint: linked, config: join(env.user, 'heads.json'), cacheDir: await tempDir(), hashCache: false });
    assert.equal(a.cached, false);
    assert.ok(a.parts.unet!.pointed > 600);
    // ONNX Runtime refuses external data that resolves outside the model folder: a link to the symlink would.
    const ref = await io('unet-sd1.io.safetensors');
    const d = maxAbsDiff(await unetEps(a.dir), ref.get('eps')!.data as Float32Array);
    assert.ok(d <= 2e-5, `eps ${d}`);
  });

  it('SD 2.x: OpenCLIP text, a sidecar .yaml decides v-prediction (A1111 rule)', async () => {
    const cp = join(env.user, 'tiny-v.safetensors');
    await writeTinyCheckpoint(cp, SD2, 'F16');
    writeFileSync(join(env.user, 'tiny-v.yaml'), 'model:\n  params:\n    parameterization: "v"\n    unet_config:\n      params:\n        num_head_channels: 8\n');
    // The yaml cannot give OpenCLIP's head count (it names "ViT-H-14"): the tiny width needs the JSON too.
    writeFileSync(join(env.user, 'openclip-heads.json'), JSON.stringify({ open_clip_text_cfg: { heads: 4 } }));
    const r = await checkpointToOnnx({ checkpoint: cp, cacheDir: env.cache, hashCache: false, config: join(env.user, 'openclip-heads.json'), tokenizerDir: '/nonexistent' });
    assert.equal(r.tokenizer, process.env.SD_STUDIO_TOKENIZER ? 'copied' : r.tokenizer);
    assert.equal(r.detection.family, 'sd2');
    assert.equal(r.prediction, 'v_prediction');
    assert.equal(r.detection.predictionSource, 'config');
    assert.equal(JSON.parse(readFileSync(join(r.dir, 'scheduler', 'scheduler_config.json'), 'utf8')).prediction_type, 'v_prediction');
  });
});

describe('detectCheckpoint on full-size key tables', () => {
  it('SD 1.5: sd1, fp32, epsilon by A1111 rule', () => {
    const d = detectCheckpoint(keyTable('sd15-keys.json'));
    assert.equal(d.family, 'sd1');
    assert.equal(d.precision, 'fp32');
    assert.equal(d.prediction, 'epsilon');
    assert.equal(d.variant, 'normal');
  });
  it('SD 2.1: sd2, A1111 runs its UNet test for v-prediction', () => {
    const d = detectCheckpoint(keyTable('sd21-keys.json'));
    assert.equal(d.family, 'sd2');
    assert.equal(d.prediction, 'unet-test');
    assert.equal(detectCheckpoint(keyTable('sd21-keys.json'), { prediction: 'v_prediction' }).prediction, 'v_prediction');
  });
  it('inpainting is read from the UNet input channels', () => {
    const t = keyTable('sd15-keys.json');
    const r = t.get('model.diffusion_model.input_blocks.0.0.weight')!;
    t.set(r.name, { ...r, shape: [320, 9, 3, 3] });
    assert.equal(detectCheckpoint(t).variant, 'inpainting');
  });
  it('an SDXL UNet with text encoders that do not go with it is refused, listing what was found', () => {
    const t = keyTable('sdxl-keys.json');
    for (const k of [...t.keys()]) if (k.startsWith('conditioner.embedders.1.')) t.delete(k);
    assert.throws(() => detectCheckpoint(t, { file: 'x.safetensors' }), (e: Error) => e instanceof UnsupportedCheckpointError && /no text encoder it goes with/.test(e.message) && /conditioner\.embedders/.test(e.message));
  });
  it('SD3 and Flux are named', () => {
    const rec = (n: string) => ({ name: n, file: '', offset: 0, dtype: 'F16' as const, shape: [1], strides: [1], storageOffset: 0, storageBytes: 2 });
    assert.throws(() => detectCheckpoint(new Map([['model.diffusion_model.joint_blocks.0.x_block.attn.qkv.weight', rec('a')]])), /Stable Diffusion 3/);
    assert.throws(() => detectCheckpoint(new Map([['double_blocks.0.img_attn.qkv.weight', rec('a')]])), /Flux/);
  });
  it('a LoRA and a lone VAE are named, not built', async () => {
    const lora = stateDict(await openWeights(fixture('lora-sd1.safetensors')));
    const vae = stateDict(await openWeights(fixture('vae.safetensors')));
    assert.throws(() => detectCheckpoint(lora), /LoRA/);
    assert.throws(() => detectCheckpoint(vae), /first_stage_model \(248\)/);
  });
  it('damaged files give a message naming the file; nothing is created', async () => {
    const dir = await tempDir();
    const bad = join(dir, 'broken.safetensors');
    writeFileSync(bad, readFileSync(fixture('unet-sd2.safetensors')).subarray(0, 5000));
    await assert.rejects(checkpointToOnnx({ checkpoint: bad, cacheDir: join(dir, 'cache'), hashCache: false }), /broken\.safetensors: .*(truncated|runs past)/);
    writeFileSync(join(dir, 'noise.ckpt'), Buffer.alloc(4096, 7));
    await assert.rejects(checkpointToOnnx({ checkpoint: join(dir, 'noise.ckpt'), cacheDir: join(dir, 'cache'), hashCache: false }), /noise\.ckpt: unrecognised format/);
    assert.equal(existsSync(join(dir, 'cache')), false);
    assert.deepEqual(readdirSync(dir).sort(), ['broken.safetensors', 'noise.ckpt']);
  });
});
