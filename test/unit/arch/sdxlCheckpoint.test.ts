// Single-file SDXL checkpoints → Optimum-layout SDXL ONNX folders: detection (base, inpainting, refiner, the
// full-size key table), the UNet's fp16 weights read in place and still reproducing sgm, both tokenizers, the VAE's
// scaling factor, and `sd-studio convert-onnx` writing the folder.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { checkpointToOnnx } from '../../../models/checkpointToOnnx';
import { detectCheckpoint } from '../../../models/detect';
import { openWeights, stateDict } from '../../../models/formats/open';
import { mergeCheckpoints } from '../../../models/merge';
import { readTensor, type DType } from '../../../models/formats/tensorRecord';
import { writeSafetensors } from '../../../models/formats/safetensors';
import { f16BitsToF32, f32ToF16Bits } from '../../../models/graph';
import { runCli } from '../../daemon/harness';
import { cleanup, fixture, io, maxAbsDiff, report, tempDir } from './archHelpers';
import { keyTable } from './tinyCheckpoint';
import { sdxlFixture, sdxlTimeIds, TINY_SDXL_CONFIG, writeTinySdxlCheckpoint } from './sdxlHelpers';

const env = { user: '', cache: '' };
// The fp16 weights are overridable initializers: ONNX Runtime warns once per weight unless told to keep quiet.
const QUIET = { intraOpNumThreads: 1, logSeverityLevel: 3 } as const;
const TOKENIZER = fixture('../clip-tokenizer');
const cp = (name: string) => join(env.user, `${name}.safetensors`);

before(async () => {
  env.user = await tempDir();
  env.cache = await tempDir();
  await writeTinySdxlCheckpoint(cp('xl'), 'base');
});
after(cleanup);

const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('SDXL single-file checkpoints', () => {
  it('the full-size SDXL key table is SDXL base, fp16, epsilon, with both text encoders found', () => {
    const d = detectCheckpoint(keyTable('sdxl-keys.json'));
    assert.equal(d.family, 'sdxl');
    assert.equal(d.precision, 'fp16');
    assert.equal(d.prediction, 'epsilon');
    assert.equal(d.textPrefix, 'conditioner.embedders.0.transformer.text_model.');
    assert.equal(d.text2Prefix, 'conditioner.embedders.1.model.');
    assert.match(d.summary, /^SDXL, fp16 weights, epsilon$/);
    const t = keyTable('sdxl-keys.json');
    t.set('v_pred', { ...t.get('model.diffusion_model.out.2.bias')!, name: 'v_pred', shape: [] });
    assert.equal(detectCheckpoint(t).prediction, 'v_prediction', 'the v_pred marker of v-prediction SDXL files');
  });

  it('builds the diffusers SDXL folder; the UNet reads its fp16 weights in place and reproduces sgm', async () => {
    const r = await checkpointToOnnx({ checkpoint: cp('xl'), cacheDir: env.cache, hashCache: false, tokenizerDir: TOKENIZER });
    assert.equal(r.detection.family, 'sdxl');
    for (const p of ['text_encoder', 'text_encoder_2', 'unet', 'vae_encoder', 'vae_decoder']) assert.ok(existsSync(join(r.dir, p, 'model.onnx')), p);
    assert.equal(r.parts.unet!.converted, 0, 'no UNet weight copied');
    assert.ok(r.parts.unet!.pointed >= 838, `pointed ${r.parts.unet!.pointed}`);
    assert.equal(json(join(r.dir, 'tokenizer', 'special_tokens_map.json')).pad_token, '<|endoftext|>');
    assert.equal(json(join(r.dir, 'tokenizer_2', 'special_tokens_map.json')).pad_token, '!');
    assert.equal(json(join(r.dir, 'vae_decoder', 'config.json')).scaling_factor, 0.13025);
    assert.equal(json(join(r.dir, 'model_index.json'))._class_name, 'ORTStableDiffusionXLPipeline');

    const ref = await io(sdxlFixture('unet-sdxl.io.safetensors'));
    const cond = await io(sdxlFixture('conditioner-sdxl.io.safetensors'));
    const s = await ort.InferenceSession.create(join(r.dir, 'unet', 'model.onnx'), QUIET);
    const names = s.inputNames.join(',');
    assert.equal(names, 'sample,timestep,encoder_hidden_states,text_embeds,time_ids');
    const y = ref.get('y')!.data as Float32Array;
    const pooled = Float32Array.of(...y.subarray(0, 32), ...y.subarray(1568, 1568 + 32));
    const out = await s.run({
      sample: new ort.Tensor('float32', ref.get('x')!.data as Float32Array, ref.get('x')!.dims),
      timestep: new ort.Tensor('float32', ref.get('timesteps')!.data as Float32Array, [2]),
      encoder_hidden_states: new ort.Tensor('float32', ref.get('context')!.data as Float32Array, [2, 77, 68]),
      text_embeds: new ort.Tensor('float32', pooled, [2, 32]),
      time_ids: new ort.Tensor('float32', sdxlTimeIds(cond), [2, 6]),
    });
    await s.release();
    const err = maxAbsDiff(out.out_sample!.data as Float32Array, ref.get('eps')!.data as Float32Array);
    report('checkpoint unet-sdxl eps', err, 1e-5);
    assert.ok(err <= 1e-5);
    const te2 = await ort.InferenceSession.create(join(r.dir, 'text_encoder_2', 'model.onnx'), QUIET);
    assert.ok(te2.outputNames.includes('text_embeds') && te2.outputNames.includes('hidden_states.2'), te2.outputNames.join(','));
    await te2.release();
  });

  it('SDXL inpainting (9 channels) and the refiner (CLIP-G only, five time_ids) are recognised and build', async () => {
    await writeTinySdxlCheckpoint(cp('xl-inpaint'), 'inpaint');
    await writeTinySdxlCheckpoint(cp('xl-refiner'), 'refiner');
    const inpaint = detectCheckpoint(stateDict(await openWeights(cp('xl-inpaint'))));
    assert.equal(inpaint.family, 'sdxl');
    assert.equal(inpaint.variant, 'inpainting');
    const refiner = await checkpointToOnnx({ checkpoint: cp('xl-refiner'), cacheDir: env.cache, hashCache: false, tokenizerDir: TOKENIZER });
    assert.equal(refiner.detection.family, 'sdxl-refiner');
    assert.equal(refiner.detection.textPrefix, undefined);
    assert.ok(!existsSync(join(refiner.dir, 'text_encoder')) && existsSync(join(refiner.dir, 'text_encoder_2', 'model.onnx')));
    assert.ok(!existsSync(join(refiner.dir, 'tokenizer')) && existsSync(join(refiner.dir, 'tokenizer_2', 'vocab.json')));
    const s = await ort.InferenceSession.create(join(refiner.dir, 'unet', 'model.onnx'), QUIET);
    const timeIds = s.inputMetadata.find((m) => m.name === 'time_ids');
    assert.ok(timeIds?.isTensor && timeIds.shape[1] === 5, 'refiner: five time_ids');
    await s.release();
  });

  it('merger: the SDXL inpainting recipe (A inpaint + (B − C) base) keeps 9 channels and merges the first 4', async () => {
    await writeTinySdxlCheckpoint(cp('xl-inpaint'), 'inpaint');
    // B: the base with its input conv doubled, so B − C = the base's input conv W.
    const key = 'model.diffusion_model.input_blocks.0.0.weight';
    const base = stateDict(await openWeights(cp('xl')));
    const tensors: { name: string; dtype: DType; shape: number[]; data: Uint8Array }[] = [];
    for (const [name, r] of base) {
      const v = await readTensor(r);
      if (name === key) for (let i = 0; i < v.length; i++) (v as Uint16Array)[i] = f32ToF16Bits(Float32Array.of(2 * f16BitsToF32(Uint16Array.of((v as Uint16Array)[i]!))[0]!))[0]!;
      tensors.push({ name, dtype: r.dtype, shape: r.shape, data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) });
    }
    await writeSafetensors(cp('xl-b'), tensors, { format: 'pt' });
    const out = join(env.user, 'xl-custom-inpaint.safetensors');
    const r = await mergeCheckpoints({ primary: cp('xl-inpaint'), secondary: cp('xl-b'), tertiary: cp('xl'), method: 'add-difference', multiplier: 1, out, hashCache: false });
    assert.equal(r.isInpainting, true);
    const merged = stateDict(await openWeights(out));
    const d = detectCheckpoint(merged);
    assert.equal(d.family, 'sdxl');
    assert.equal(d.variant, 'inpainting');
    const a = (await readTensor(stateDict(await openWeights(cp('xl-inpaint'))).get(key)!, 'F32')) as Float32Array;
    const w = (await readTensor(base.get(key)!, 'F32')) as Float32Array;
    const m = (await readTensor(merged.get(key)!, 'F32')) as Float32Array;
    let err = 0;
    for (let o = 0; o < 32; o++) {
      for (let j = 0; j < 9 * 9; j++) {
        const want = a[o * 81 + j]! + (j < 36 ? w[o * 36 + j]! : 0);
        err = Math.max(err, Math.abs(m[o * 81 + j]! - want));
      }
    }
    assert.ok(err < 2e-3, `input conv: first 4 channels A + (B − C), the mask/latent channels A's (max error ${err})`);
    assert.equal(merged.get('conditioner.embedders.0.transformer.text_model.embeddings.position_ids')!.dtype, 'I64');
  });

  it('sd-studio convert-onnx SDXL.safetensors --config C --out DIR writes the SDXL folder', () => {
    // The checkpoint alone (no sidecar): the head counts the tiny widths cannot give come from --config.
    const alone = join(env.user, 'alone');
    mkdirSync(alone);
    copyFileSync(cp('xl'), join(alone, 'SDXL.safetensors'));
    const config = join(env.user, 'tiny-sdxl-heads.json');
    writeFileSync(config, JSON.stringify(TINY_SDXL_CONFIG));
    const out = join(env.user, 'xl-onnx');
    const r = runCli(['convert-onnx', join(alone, 'SDXL.safetensors'), '--config', config, '--out', out, '--tokenizer', TOKENIZER], { SD_STUDIO_CACHE_DIR: env.cache });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /SDXL, fp16 weights, epsilon/);
    for (const p of ['text_encoder_2/model.onnx', 'tokenizer_2/merges.txt', 'unet/model.onnx', 'scheduler/scheduler_config.json']) assert.ok(existsSync(join(out, p)), p);
    assert.deepEqual(readdirSync(alone), ['SDXL.safetensors'], 'nothing written beside the checkpoint');
    // The folder loads as an Optimum SDXL folder (text_encoder_2/, tokenizer_2/, the VAE's scaling factor).
    const gen = runCli(['img2img', '--model', out, '-p', 'a red barn', '--steps', '1', '-W', '64', '-H', '64', '--outdir', join(env.user, 'outputs')], { SD_STUDIO_CACHE_DIR: env.cache });
    assert.equal(gen.code, 0, gen.stderr);
    assert.match(readFileSync(gen.stdout.trim(), 'latin1'), /Size: 64x64, Model hash: [0-9a-f]{10}, Model: xl-onnx/);
  });
});
