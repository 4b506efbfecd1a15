// LoRA: kohya LoRA + LoCon merged into the sd-tiny checkpoint weights as A1111 merges them. Weight 0
// is the identity; at the fixture's multiplier the merged weights equal the stored float64 merge, and the merged
// UNet / text encoder reproduce the stored PyTorch outputs; through the CLI a `<lora:…:1>` tag changes the image,
// `<lora:…:0>` does not, and the infotext gets "Lora hashes".
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { listCache } from '../../../models/buildCache';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { buildUnet } from '../../../models/arch/unet';
import { buildClipText } from '../../../models/arch/clipText';
import { checkpointToOnnx } from '../../../models/checkpointToOnnx';
import { hashFile } from '../../../models/hash';
import { convertDiffusersNameToCompvis, loraDeltas, mergeLoras, type LoraApply } from '../../../models/lora';
import { findModelFile } from '../../../models/registry';
import { addLoraDeltas } from '../../../models/loraGraph';
import { ExternalDataWriter } from '../../../models/externalData';
import { writeModelAtomic } from '../../../models/arch/externalModel';
import { decodeModel, ElemType, f16BitsToF32, f32ToF16Bits, GraphBuilder } from '../../../models/graph';
import { readTensor } from '../../../models/formats/tensorRecord';
import { writeSafetensors } from '../../../models/formats/safetensors';
import { readPngTextChunks } from '../../../daemon/infotext/pngChunks';
import { parseGenerationParameters } from '../../../daemon/infotext/a1111';
import { runCli } from '../../daemon/harness';
import { cleanup, f32, fixture, ids32, io, maxAbsDiff, report, runBuilt, tempDir, weights } from './archHelpers';
import { tinyCheckpointEnv } from './tinyCheckpoint';

interface ModuleRow { kohya: string; a1111_compvis_name: string; ldm_key: string }
const config = JSON.parse(readFileSync(fixture('lora-sd1.config.json'), 'utf8')) as { multiplier: number; modules: ModuleRow[] };
const LORA = fixture('lora-sd1.safetensors');
const at = (w: number): LoraApply[] => [{ name: 'lora-sd1', file: LORA, te: w, unet: w }];

after(cleanup);

describe('LoRA merge (models/lora.ts) on the sd-tiny fixtures', () => {
  it('kohya names convert to the A1111 compvis names of the fixture table', () => {
    for (const m of config.modules) assert.equal(convertDiffusersNameToCompvis(m.kohya, false), m.a1111_compvis_name, m.kohya);
  });

  it('weight 0 is the identity: the very same records', async () => {
    const base = new Map([...(await weights('unet-sd1.safetensors')), ...(await weights('clip-l-text.safetensors'))]);
    const r = await mergeLoras(base, at(0), { isSd2: false });
    assert.equal(r.merged.length, 0);
    for (const [k, v] of base) assert.equal(r.tensors.get(k), v, k);
  });

  it(`weight ${config.multiplier}: every targeted weight equals the stored merge (≤ 1e-6), nothing else changes`, async () => {
    const base = new Map([...(await weights('unet-sd1.safetensors')), ...(await weights('clip-l-text.safetensors'))]);
    const r = await mergeLoras(base, at(config.multiplier), { isSd2: false });
    assert.deepEqual(r.unmatched, []);
    const expected = await weights('lora-sd1.expected.safetensors');
    assert.deepEqual([...r.merged].sort(), [...expected.keys()].sort());
    assert.equal(r.merged.length, config.modules.length);
    let worst = 0;
    for (const [k, rec] of expected) {
      const want = (await readTensor(rec, 'F32')) as Float32Array;
      const got = (await readTensor(r.tensors.get(k)!, 'F32')) as Float32Array;
      worst = Math.max(worst, maxAbsDiff(got, want));
    }
    report('merged weights vs float64 merge', worst, 1e-6);
    assert.ok(worst <= 1e-6);
    for (const [k, v] of base) if (!expected.has(k)) assert.equal(r.tensors.get(k), v, k);
  });

  it('the merged UNet and text encoder reproduce PyTorch with the LoRA merged (eps_lora, last_hidden_state_lora)', async () => {
    const ref = await io('lora-sd1.io.safetensors');
    const unetIo = await io('unet-sd1.io.safetensors');
    const clipIo = await io('clip-l-text.io.safetensors');
    const merged = (await mergeLoras(await weights('unet-sd1.safetensors'), at(config.multiplier), { isSd2: false })).tensors;
    const out = await runBuilt(buildUnet(merged), { sample: f32(unetIo.get('x')!), timestep: f32(unetIo.get('timesteps')!), encoder_hidden_states: f32(unetIo.get('context')!) });
    const e = maxAbsDiff(out.out_sample!, ref.get('eps_lora')!.data as Float32Array);
    report('unet eps with LoRA', e, 2e-5);
    assert.ok(e <= 2e-5);
    const text = (await mergeLoras(await weights('clip-l-text.safetensors'), at(config.multiplier), { isSd2: false })).tensors;
    const t = await runBuilt(buildClipText(text, { heads: 4 }), { input_ids: ids32(clipIo.get('input_ids')!) });
    const te = maxAbsDiff(t.last_hidden_state!, ref.get('last_hidden_state_lora')!.data as Float32Array);
    report('text last_hidden_state with LoRA', te, 2e-5);
    assert.ok(te <= 2e-5);
  });
});

describe('LoRA on SD 2.x text encoders (OpenCLIP fused q/k/v)', () => {
  it('q/k/v modules land in row blocks 0/1/2 of in_proj_weight; mlp_fc1 → mlp.c_fc (A1111 is_sd2 mapping)', async () => {
    const dir = await tempDir();
    const rec = (name: string, shape: number[], values: number[]) => {
      const inline = new Uint8Array(Float32Array.from(values).buffer);
      return { name, file: 'mem', offset: 0, dtype: 'F32' as const, shape, strides: shape.length === 2 ? [shape[1]!, 1] : [1], storageOffset: 0, storageBytes: inline.byteLength, inline };
    };
    const inProj = 'cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight';
    const fc = 'cond_stage_model.model.transformer.resblocks.0.mlp.c_fc.weight';
    const base = new Map([[inProj, rec(inProj, [6, 2], new Array(12).fill(0))], [fc, rec(fc, [2, 2], [1, 1, 1, 1])]]);
    const f32b = (v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
    const file = join(dir, 'sd2-te.safetensors');
    await writeSafetensors(file, [
      { name: 'lora_te_text_model_encoder_layers_0_self_attn_k_proj.lora_down.weight', dtype: 'F32', shape: [1, 2], data: f32b([1, 0]) },
      { name: 'lora_te_text_model_encoder_layers_0_self_attn_k_proj.lora_up.weight', dtype: 'F32', shape: [2, 1], data: f32b([1, 2]) },
      { name: 'lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight', dtype: 'F32', shape: [1, 2], data: f32b([0, 1]) },
      { name: 'lora_te_text_model_encoder_layers_0_mlp_fc1.lora_up.weight', dtype: 'F32', shape: [2, 1], data: f32b([1, 1]) },
      { name: 'lora_te_text_model_encoder_layers_0_mlp_fc1.alpha', dtype: 'F32', shape: [], data: f32b([0.5]) },
    ]);
    const r = await mergeLoras(base, [{ name: 'sd2-te', file, te: 2, unet: 1 }], { isSd2: true });
    assert.deepEqual(r.unmatched, []);
    assert.deepEqual([...(await readTensor(r.tensors.get(inProj)!, 'F32'))], [0, 0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0]);
    // fc: W + te · (alpha / rank) · up @ down = 1 + 2 · 0.5 · [[0, 1], [0, 1]]
    assert.deepEqual([...(await readTensor(r.tensors.get(fc)!, 'F32'))], [1, 2, 1, 2]);

    // The same deltas inside a graph (padded row block, factors converted into lora.bin) fold to the same weights.
    const g = new GraphBuilder({ name: 'w' });
    const wi = g.initializer(inProj, new Float32Array(12), [6, 2]);
    const fi = g.initializer(fc, Float32Array.of(1, 1, 1, 1), [2, 2]);
    g.output('in_proj', ElemType.FLOAT, [6, 2], g.identity(wi));
    g.output('fc', ElemType.FLOAT, [2, 2], g.identity(fi));
    const model = decodeModel(g.toBytes());
    const deltas = await loraDeltas(base, [{ name: 'sd2-te', file, te: 2, unet: 1 }], { isSd2: true });
    const data = new ExternalDataWriter(dir, 'lora.bin');
    data.allowInPlace(file, 'lora-0.weights');
    await addLoraDeltas(model, deltas.byKey, data);
    await data.close();
    await writeModelAtomic(join(dir, 'model.onnx'), model);
    const sess = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    const outs = await sess.run({});
    await sess.release();
    assert.deepEqual([...(outs.in_proj!.data as Float32Array)], [0, 0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0]);
    assert.deepEqual([...(outs.fc!.data as Float32Array)], [1, 2, 1, 2]);
  });
});

describe('LoRA through checkpoints and the pipeline', () => {
  const env = { user: '', cache: '', root: '', out: '' };
  const cp = () => join(env.user, 'tiny.safetensors');
  before(async () => {
    Object.assign(env, await tinyCheckpointEnv());
    mkdirSync(join(env.root, 'Lora', 'styles'), { recursive: true });
    copyFileSync(LORA, join(env.root, 'Lora', 'styles', 'lora-sd1.safetensors'));
  });

  it('finds <modelsRoot>/Lora files in subfolders by name', () => {
    assert.equal(findModelFile(env.root, 'lora', 'lora-sd1'), join(env.root, 'Lora', 'styles', 'lora-sd1.safetensors'));
    assert.equal(findModelFile(env.root, 'lora', 'nope'), undefined);
  });

  it('checkpointToOnnx: a LoRA variant is its own cache folder sharing the base\'s bytes; weight 0 is the plain build; the user folders are untouched', async () => {
    const userBefore = readdirSync(env.user).sort();
    const loraBefore = readdirSync(join(env.root, 'Lora', 'styles'));
    const onnx = join(env.cache, 'onnx');
    const plain = await checkpointToOnnx({ checkpoint: cp(), cacheDir: onnx, hashCache: false });
    const zero = await checkpointToOnnx({ checkpoint: cp(), cacheDir: onnx, hashCache: false, loras: at(0) });
    assert.equal(zero.dir, plain.dir);
    assert.equal(zero.cached, true);
    const lora = join(env.root, 'Lora', 'styles', 'lora-sd1.safetensors');
    const one = await checkpointToOnnx({ checkpoint: cp(), cacheDir: onnx, hashCache: false, loras: [{ name: 'lora-sd1', file: lora, te: 1, unet: 1 }] });
    assert.notEqual(one.dir, plain.dir);
    assert.equal(one.base, plain.dir);
    assert.equal(one.cached, false);
    assert.deepEqual(one.lora, { merged: config.modules.length, unmatched: [] });
    assert.equal(one.parts.vae_decoder!.linked, true, 'parts the LoRA does not touch are the base\'s files');
    assert.equal(one.parts.unet!.pointed, 2 * config.modules.filter((m) => m.kohya.startsWith('lora_unet')).length, 'LoRA factors read in place from the LoRA file');
    assert.equal(one.parts.unet!.converted, 0);
    // Disk: the variant holds its graphs only; weights are hard links (base data, checkpoint, LoRA file).
    const size = statSync(cp()).size;
    const listing = listCache(env.cache);
    const variant = listing.entries.find((e) => e.path === one.dir)!;
    report('LoRA variant: own bytes / checkpoint bytes', variant.bytes / size, 0.05);
    assert.ok(variant.bytes < 0.05 * size, `variant ${variant.bytes} B for a ${size} B checkpoint`);
    assert.ok(listing.totalBytes < 0.1 * size, `whole cache ${listing.totalBytes} B`);
    assert.equal(statSync(join(one.dir, 'unet', 'checkpoint.weights')).ino, statSync(cp()).ino);
    assert.equal(statSync(join(one.dir, 'unet', 'lora-0.weights')).ino, statSync(lora).ino);
    const again = await checkpointToOnnx({ checkpoint: cp(), cacheDir: onnx, hashCache: false, loras: [{ name: 'lora-sd1', file: lora, te: 1, unet: 1 }] });
    assert.equal(again.cached, true);
    assert.equal(again.dir, one.dir);
    const other = await checkpointToOnnx({ checkpoint: cp(), cacheDir: onnx, hashCache: false, loras: [{ name: 'lora-sd1', file: lora, te: 0.5, unet: 0.5 }] });
    assert.notEqual(other.dir, one.dir);
    // The variant's UNet (base weights + in-graph LoRA delta, folded by ONNX Runtime) reproduces PyTorch.
    const ref = await io('lora-sd1.io.safetensors');
    const unetIo = await io('unet-sd1.io.safetensors');
    const mult = await checkpointToOnnx({ checkpoint: cp(), cacheDir: onnx, hashCache: false, loras: at(config.multiplier) });
    const sm = await ort.InferenceSession.create(join(mult.dir, 'unet', 'model.onnx'), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    try {
      const out = await sm.run({ sample: f32(unetIo.get('x')!), timestep: f32(unetIo.get('timesteps')!), encoder_hidden_states: f32(unetIo.get('context')!) });
      const e = maxAbsDiff(out.out_sample!.data as Float32Array, ref.get('eps_lora')!.data as Float32Array);
      report('variant unet eps with LoRA (in-graph delta)', e, 2e-5);
      assert.ok(e <= 2e-5);
    } finally {
      await sm.release();
    }
    assert.deepEqual(readdirSync(env.user).sort(), userBefore);
    assert.deepEqual(readdirSync(join(env.root, 'Lora', 'styles')), loraBefore);
  });

  it('UNet variants of a LoRA folder keep the LoRA: token merging at ratio 0 reproduces PyTorch with the LoRA; int8 stays near it', async () => {
    const onnx = join(env.cache, 'onnx');
    const ref = await io('lora-sd1.io.safetensors');
    const unetIo = await io('unet-sd1.io.safetensors');
    const base = await checkpointToOnnx({ checkpoint: cp(), cacheDir: onnx, hashCache: false, unet: { tokenMerging: true } });
    const tome = await checkpointToOnnx({ checkpoint: cp(), cacheDir: onnx, hashCache: false, loras: at(config.multiplier), unet: { tokenMerging: true } });
    const int8 = await checkpointToOnnx({ checkpoint: cp(), cacheDir: onnx, hashCache: false, loras: at(config.multiplier), unet: { precision: 'int8' } });
    assert.ok(tome.unet.endsWith('model.tome.onnx') && int8.unet.endsWith('model.int8.onnx'));
    assert.notEqual(statSync(tome.unet).ino, statSync(base.unet).ino, 'the base\'s variant (no LoRA) is not linked into the LoRA folder');
    const eps = async (model: string, ratio?: number): Promise<Float32Array> => {
      const sm = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
      try {
        const feeds: Record<string, ort.Tensor> = { sample: f32(unetIo.get('x')!), timestep: f32(unetIo.get('timesteps')!), encoder_hidden_states: f32(unetIo.get('context')!) };
        if (ratio !== undefined) feeds.token_merging_ratio = new ort.Tensor('float64', Float64Array.of(ratio), [1]);
        return (await sm.run(feeds)).out_sample!.data as Float32Array;
      } finally {
        await sm.release();
      }
    };
    const want = ref.get('eps_lora')!.data as Float32Array;
    const e = maxAbsDiff(await eps(tome.unet, 0), want);
    report('LoRA folder, token-merging graph at ratio 0 vs PyTorch eps_lora', e, 2e-5);
    assert.ok(e <= 2e-5);
    // int8 of the merged weights: nearer PyTorch's eps with the LoRA than to its eps without.
    const q = await eps(int8.unet);
    const toLora = maxAbsDiff(q, want);
    const toPlain = maxAbsDiff(q, unetIo.get('eps')!.data as Float32Array);
    report('LoRA folder, int8 graph vs eps_lora (vs eps without LoRA)', toLora, toPlain);
    assert.ok(toLora < toPlain, `int8 with LoRA ${toLora} vs without ${toPlain}`);
    // fp16 (GPU providers) stores the merged weights as fp16: the LoRA nodes compute in fp32 and cannot be carried.
    const fp16 = await checkpointToOnnx({ checkpoint: cp(), cacheDir: onnx, hashCache: false, loras: at(config.multiplier), unet: { precision: 'fp16' } });
    const half = (name: string) => new ort.Tensor('float16', f32ToF16Bits(unetIo.get(name)!.data as Float32Array), unetIo.get(name)!.dims);
    const sm = await ort.InferenceSession.create(fp16.unet, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    try {
      const h = f16BitsToF32((await sm.run({ sample: half('x'), timestep: half('timesteps'), encoder_hidden_states: half('context') })).out_sample!.data as Uint16Array);
      const e16 = maxAbsDiff(h, want);
      report('LoRA folder, fp16 graph vs eps_lora (vs eps without LoRA)', e16, maxAbsDiff(h, unetIo.get('eps')!.data as Float32Array));
      assert.ok(e16 < maxAbsDiff(h, unetIo.get('eps')!.data as Float32Array) && e16 < 1e-2, `fp16 with LoRA ${e16}`);
    } finally {
      await sm.release();
    }
  });

  it('sd-studio img2img: <lora:…:1> changes the image, <lora:…:0> does not; infotext "Lora hashes" and the prompt as written', async () => {
    const cliEnv = { SD_STUDIO_MODELS_ROOT: env.root, SD_STUDIO_CACHE_DIR: env.cache, SD_STUDIO_TOKENIZER: fixture('../clip-tokenizer') };
    const run = (prompt: string): string => {
      const r = runCli(['img2img', '--model', cp(), '-p', prompt, '--sampler', 'Euler', '--steps', '3', '--seed', '5', '-W', '64', '-H', '64', '--cfg-scale', '5', '--outdir', env.out], cliEnv);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    const px = async (p: string) => sharp(p).raw().toBuffer();
    const plain = run('a red barn');
    const one = run('a red barn <lora:lora-sd1:1>');
    const zero = run('a red barn <lora:lora-sd1:0>');
    assert.notDeepEqual(await px(one), await px(plain), 'the LoRA changes the image');
    assert.deepEqual(await px(zero), await px(plain), 'weight 0 is the identity');
    const info = parseGenerationParameters(readPngTextChunks(readFileSync(one)).find((c) => c.keyword === 'parameters')!.text);
    assert.equal(info.prompt, 'a red barn <lora:lora-sd1:1>');
    const hash = (await hashFile(LORA, { cache: false })).lora;
    assert.equal(info.fields['Lora hashes'], `lora-sd1: ${hash}`);
    const modelHash = (await hashFile(cp(), { cache: false })).autoV2;
    const plainInfo = parseGenerationParameters(readPngTextChunks(readFileSync(plain)).find((c) => c.keyword === 'parameters')!.text);
    assert.equal(plainInfo.fields['Model hash'], modelHash, 'A1111 "Model hash": the checkpoint file (AutoV2), not the ONNX build');
    assert.equal(info.fields['Model hash'], modelHash, 'a LoRA does not change the model hash');
    const text = readPngTextChunks(readFileSync(one)).find((c) => c.keyword === 'parameters')!.text;
    assert.match(text, new RegExp(`Lora hashes: "lora-sd1: ${hash}", .*Version: `));
    // A1111's "Network not found": a warning, and the image is made without it.
    const missing = runCli(['img2img', '--model', cp(), '-p', 'x <lora:absent:1>', '--steps', '2', '-W', '64', '-H', '64', '--outdir', env.out], cliEnv);
    assert.equal(missing.code, 0, missing.stderr);
    assert.match(missing.stderr, /warning: LoRA "absent" not found/);
    assert.ok(existsSync(missing.stdout.trim()), missing.stdout);
  });
});
