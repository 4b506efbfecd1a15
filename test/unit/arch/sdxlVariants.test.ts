// SDXL variants of a checkpoint: a kohya SDXL LoRA (`lora_unet_*` in sgm names, `lora_te1_*` CLIP-L, `lora_te2_*`
// CLIP-G with q/k/v into the fused in_proj) merged as A1111 merges it; a VAE file through the SD VAE setting; an
// SDXL embedding (`clip_l` + `clip_g`) in the prompt. Each through `sd-studio img2img` with its infotext.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { parseGenerationParameters } from '../../../daemon/infotext/a1111';
import { readPngTextChunks } from '../../../daemon/infotext/pngChunks';
import { openWeights, stateDict } from '../../../models/formats/open';
import { writeSafetensors } from '../../../models/formats/safetensors';
import { readTensor } from '../../../models/formats/tensorRecord';
import { hashFile } from '../../../models/hash';
import * as ort from 'onnxruntime-node';
import { buildClipText } from '../../../models/arch/clipText';
import { buildOpenClipText } from '../../../models/arch/openClipText';
import { buildUnet, type BuiltPart } from '../../../models/arch/unet';
import { checkpointToOnnx } from '../../../models/checkpointToOnnx';
import type { TensorRecord } from '../../../models/formats/tensorRecord';
import { mergeLoras, type LoraApply } from '../../../models/lora';
import { createRng } from '../../../models/testModel/prng';
import { runCli, startDaemon } from '../../daemon/harness';
import { PNG } from 'pngjs';
import type { JobPreviewNotification } from '../../../daemon/protocol';
import { cleanup, fixture, ids32, io, maxAbsDiff, report, runBuilt, tempDir, writeOtherVae, type IoTensor } from './archHelpers';
import { sdxlFixture, sdxlTimeIds, writeTinySdxlCheckpoint } from './sdxlHelpers';

const env = { user: '', cache: '', root: '', out: '' };
const cp = () => join(env.user, 'xl.safetensors');
const loraFile = () => join(env.root, 'Lora', 'xl-style.safetensors');

/** kohya module → [out, in] of the layer it adapts (all Linear here, rank 2, alpha 1 → scale 0.5). */
const MODULES: Record<string, [number, number]> = {
  lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q: [32, 32],
  lora_unet_middle_block_1_transformer_blocks_2_ff_net_2: [64, 256],
  lora_te1_text_model_encoder_layers_0_self_attn_q_proj: [32, 32],
  lora_te2_text_model_encoder_layers_1_self_attn_k_proj: [36, 36],
  lora_te2_text_model_encoder_layers_1_self_attn_out_proj: [36, 36],
  lora_te2_text_model_encoder_layers_2_mlp_fc1: [144, 36],
};

before(async () => {
  Object.assign(env, { user: await tempDir(), cache: await tempDir(), root: await tempDir(), out: await tempDir() });
  await writeTinySdxlCheckpoint(cp(), 'base');
  mkdirSync(join(env.root, 'Lora'), { recursive: true });
  const rng = createRng(77);
  const rand = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.normal() * s);
  const t: { name: string; dtype: 'F32'; shape: number[]; data: Uint8Array }[] = [];
  const push = (name: string, v: Float32Array, shape: number[]) => t.push({ name, dtype: 'F32', shape, data: new Uint8Array(v.buffer) });
  for (const [m, [o, i]] of Object.entries(MODULES)) {
    push(`${m}.lora_up.weight`, rand(o * 2, 0.5), [o, 2]);
    push(`${m}.lora_down.weight`, rand(2 * i, 0.5), [2, i]);
    push(`${m}.alpha`, Float32Array.of(1), []);
  }
  await writeSafetensors(loraFile(), t, { format: 'pt' });
  // An SDXL embedding: two vectors for each encoder.
  mkdirSync(join(env.root, 'embeddings'), { recursive: true });
  const emb = [{ name: 'clip_g', shape: [2, 36] }, { name: 'clip_l', shape: [2, 32] }].map((e) => ({ name: e.name, dtype: 'F32' as const, shape: e.shape, data: new Uint8Array(rand(e.shape[0]! * e.shape[1]!, 1).buffer) }));
  await writeSafetensors(join(env.root, 'embeddings', 'xlstyle.safetensors'), emb, { format: 'pt' });
  // A VAE file as distributed (no first_stage_model. prefix) with the decoder's output conv negated.
  await writeOtherVae(join(env.root, 'VAE', 'sdxl-fp16-fix.safetensors'));
});
after(cleanup);

function generate(prompt: string, extraEnv: Record<string, string> = {}): { path: string; fields: Record<string, string> } {
  const r = runCli(['img2img', '--model', cp(), '-p', prompt, '--sampler', 'Euler', '--steps', '2', '--seed', '11', '-W', '64', '-H', '64', '--outdir', env.out],
    { SD_STUDIO_MODELS_ROOT: env.root, SD_STUDIO_CACHE_DIR: env.cache, SD_STUDIO_TOKENIZER: fixture('../clip-tokenizer'), SD_STUDIO_VAE: 'None', ...extraEnv });
  assert.equal(r.code, 0, r.stderr);
  const path = r.stdout.trim().split('\n').pop()!;
  return { path, fields: parseGenerationParameters(readPngTextChunks(readFileSync(path)).find((c) => c.keyword === 'parameters')!.text).fields };
}
const pixels = (p: string): Promise<Buffer> => sharp(p).raw().toBuffer();
/** 'a red barn' with no LoRA, VAE file or embedding (made by the LoRA test, compared against by the others). */
let plainRun: { path: string } | undefined;

describe('SDXL LoRA, VAE and embeddings', () => {
  it('every kohya SDXL module finds its layer; CLIP-G q/k/v go into their third of in_proj_weight', async () => {
    const tensors = stateDict(await openWeights(cp()));
    const r = await mergeLoras(tensors, [{ name: 'xl-style', file: loraFile(), te: 1, unet: 1 }], { isSd2: false });
    assert.deepEqual(r.unmatched, []);
    assert.deepEqual(r.merged.sort(), [
      'conditioner.embedders.0.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight',
      'conditioner.embedders.1.model.transformer.resblocks.1.attn.in_proj_weight',
      'conditioner.embedders.1.model.transformer.resblocks.1.attn.out_proj.weight',
      'conditioner.embedders.1.model.transformer.resblocks.2.mlp.c_fc.weight',
      'model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn1.to_q.weight',
      'model.diffusion_model.middle_block.1.transformer_blocks.2.ff.net.2.weight',
    ]);
    const key = 'conditioner.embedders.1.model.transformer.resblocks.1.attn.in_proj_weight';
    const before = (await readTensor(tensors.get(key)!, 'F32')) as Float32Array;
    const after = (await readTensor(r.tensors.get(key)!, 'F32')) as Float32Array;
    const block = 36 * 36;
    assert.equal(maxAbsDiff(after.subarray(0, block), before.subarray(0, block)), 0, 'q rows untouched');
    assert.ok(maxAbsDiff(after.subarray(block, 2 * block), before.subarray(block, 2 * block)) > 1e-3, 'k rows changed');
    assert.equal(maxAbsDiff(after.subarray(2 * block), before.subarray(2 * block)), 0, 'v rows untouched');
  });

  it('the LoRA variant (deltas in the graph, fp16 weights cast at run time) computes what the merged weights compute', async () => {
    const lora: LoraApply[] = [{ name: 'xl-style', file: loraFile(), te: 1, unet: 1 }];
    const base = stateDict(await openWeights(cp()));
    const merged = (await mergeLoras(base, lora, { isSd2: false })).tensors;
    const built = await checkpointToOnnx({ checkpoint: cp(), cacheDir: join(env.cache, 'onnx-variant'), hashCache: false, vae: false, loras: lora });
    assert.deepEqual(built.lora, { merged: 6, unmatched: [] });
    assert.equal(built.parts.vae_decoder!.linked, true);
    const run = async (model: string, feeds: Record<string, ort.Tensor>, outputs: string[]): Promise<Record<string, Float32Array>> => {
      const s = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1, logSeverityLevel: 3 });
      try {
        const r = await s.run(feeds, outputs);
        return Object.fromEntries(Object.entries(r).map(([k, t]) => [k, t.data as Float32Array]));
      } finally {
        await s.release();
      }
    };
    // Both encoders (CLIP-G with its k rows and out_proj/c_fc changed) and the UNet, against graphs of the merged weights.
    const cond = await io(sdxlFixture('conditioner-sdxl.io.safetensors'));
    const unetIo = await io(sdxlFixture('unet-sdxl.io.safetensors'));
    const ids = { l: { input_ids: ids32(cond.get('input_ids_l')!) }, g: { input_ids: ids32(cond.get('tokens_g')!) } };
    const f = (t: IoTensor | undefined, dims: number[]) => new ort.Tensor('float32', t!.data as Float32Array, dims);
    const unetFeeds = {
      sample: f(unetIo.get('x'), unetIo.get('x')!.dims), timestep: f(unetIo.get('timesteps'), [2]), encoder_hidden_states: f(unetIo.get('context'), [2, 77, 68]),
      text_embeds: f(cond.get('pooled_g'), [2, 32]), time_ids: new ort.Tensor('float32', sdxlTimeIds(cond), [2, 6]),
    };
    const cases: Array<[string, string, Record<string, ort.Tensor>, string, (t: ReadonlyMap<string, TensorRecord>) => BuiltPart]> = [
      ['CLIP-L', 'text_encoder', ids.l, 'hidden_states.2', (t) => buildClipText(t, { prefix: 'conditioner.embedders.0.transformer.text_model.', heads: 4 })],
      ['CLIP-G', 'text_encoder_2', ids.g, 'hidden_states.2', (t) => buildOpenClipText(t, { prefix: 'conditioner.embedders.1.model.', heads: 6, withProjection: true })],
      ['CLIP-G pooled', 'text_encoder_2', ids.g, 'text_embeds', (t) => buildOpenClipText(t, { prefix: 'conditioner.embedders.1.model.', heads: 6, withProjection: true })],
      ['UNet', 'unet', unetFeeds, 'out_sample', (t) => buildUnet(t, { heads: { headChannels: 8 }, sdxl: { pooledDim: 32 } })],
    ];
    for (const [what, part, feeds, output, build] of cases) {
      const got = (await run(join(built.dir, part, 'model.onnx'), feeds, [output]))[output]!;
      const want = (await runBuilt(build(merged), feeds, [output]))[output]!;
      const plain = (await runBuilt(build(base), feeds, [output]))[output]!;
      // The variant's fp16 Add may run in fp16 (A1111 on an fp16 model) or, as ONNX Runtime's CPU provider does, in fp32.
      const err = maxAbsDiff(got, want);
      const change = maxAbsDiff(plain, want);
      report(`SDXL LoRA variant ${what} vs merged weights (LoRA's own change ${change.toExponential(2)})`, err, 0.02 * change);
      assert.ok(err <= 0.02 * change, `${what}: variant differs from the merge by ${err}, the LoRA changes it by ${change}`);
    }
  });

  it('through img2img: the LoRA and the VAE file change the image and are named in the infotext', async () => {
    const plain = (plainRun = generate('a red barn'));
    const lora = generate('a red barn <lora:xl-style:1>');
    assert.notDeepEqual(await pixels(lora.path), await pixels(plain.path));
    assert.equal(lora.fields['Lora hashes'], `xl-style: ${(await hashFile(loraFile(), { cache: false })).lora}`);
    const vae = generate('a red barn', { SD_STUDIO_VAE: 'sdxl-fp16-fix.safetensors' });
    assert.equal(vae.fields['VAE'], 'sdxl-fp16-fix.safetensors');
    assert.notDeepEqual(await pixels(vae.path), await pixels(plain.path));
  });

  it('an SDXL embedding feeds its clip_l half to CLIP-L and clip_g to CLIP-G; "TI hashes" in the infotext', async () => {
    const styled = generate('a xlstyle barn');
    assert.match(styled.fields['TI hashes'] ?? '', /^xlstyle: [0-9a-f]{12}$/);
    assert.notDeepEqual(await pixels(styled.path), await pixels(plainRun!.path));
  });

  it('live previews: TAESDXL (VAE-approx/taesdxl_decoder.*) at full size for SDXL; without it the SDXL cheap map, not SD\'s TAESD', async () => {
    mkdirSync(join(env.root, 'VAE-approx'), { recursive: true });
    // sd-tiny's TAESD decoder stands in for TAESDXL: the same architecture, other weights.
    copyFileSync(fixture('taesd_decoder.safetensors'), join(env.root, 'VAE-approx', 'taesd_decoder.safetensors'));
    const xl = join(env.root, 'VAE-approx', 'taesdxl_decoder.safetensors');
    copyFileSync(fixture('taesd_decoder.safetensors'), xl);
    process.env.SD_STUDIO_TOKENIZER = fixture('../clip-tokenizer');
    process.env.SD_STUDIO_CACHE_DIR = env.cache;
    const d = await startDaemon({ model: cp(), modelsRoot: env.root, previewEvery: 1, previewMethod: 'taesd', sdVae: 'None' });
    try {
      const sizes = async (): Promise<string[]> => {
        const got: JobPreviewNotification[] = [];
        d.on('sd/job.preview', (p) => got.push(p));
        await d.request('sd/img2img', { prompt: 'a red barn', sampler_name: 'Euler', steps: 2, width: 64, height: 64, seed: 1, outdir: env.out });
        return [...new Set(got.map((p) => `${PNG.sync.read(Buffer.from(p.png, 'base64')).width}`))];
      };
      assert.deepEqual(await sizes(), ['64'], 'TAESDXL previews at full size');
      rmSync(xl);
      assert.deepEqual(await sizes(), ['8'], 'no TAESDXL file: the cheap 1/8-size preview (SD\'s taesd_decoder is not used for SDXL)');
    } finally {
      await d.stop();
    }
  });
});
