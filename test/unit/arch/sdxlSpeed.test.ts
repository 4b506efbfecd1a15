// The speed options on an SDXL checkpoint (the tiny one assembled from the sdxl-tiny fixtures), in one model load:
// the int8 UNet variant (built with SDXL's vector input), VAE type TAESD (TAESDXL's file), NGMS, CFG 1 (the
// negative prompt then never reaches the UNet: two negatives give the same image), and token merging, which on
// SDXL changes nothing, as in A1111, and says so; and the fp16 UNet graph GPU providers load, on the CPU.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { drawDemoImage } from '../../../daemon/cli/demoImage';
import { parseGenerationParameters } from '../../../daemon/infotext/a1111';
import { ModelManager } from '../../../daemon/parts/sdModel';
import { modelLayout } from '../../../daemon/parts/checkpointModel';
import { runImg2Img } from '../../../daemon/pipelines/img2img';
import { TokenizerStore } from '../../../daemon/prompt/tokenizerStore';
import type { Img2ImgParams } from '../../../daemon/protocol';
import { defaultSettings } from '../../../daemon/settings';
import { f16BitsToF32, f32ToF16Bits } from '../../../models/graph';
import { SessionPool } from '../../../models/sessions';
import { fakeJob } from '../../fixtures/fakeJob';
import { testPipelineDeps } from '../../fixtures/testServices';
import { cleanup, fixture, io, tempDir } from './archHelpers';
import { sdxlFixture, sdxlTimeIds, writeTinySdxlCheckpoint } from './sdxlHelpers';

const env = { user: '', cache: '', root: '', out: '' };
const models = new ModelManager(new SessionPool({ provider: 'cpu', threads: 1 }), new TokenizerStore());
const checkpoint = () => join(env.user, 'xl.safetensors');

before(async () => {
  Object.assign(env, { user: await tempDir(), cache: await tempDir(), root: await tempDir(), out: await tempDir() });
  process.env.SD_STUDIO_CACHE_DIR = env.cache;
  process.env.SD_STUDIO_TOKENIZER = fixture('../clip-tokenizer');
  await writeTinySdxlCheckpoint(checkpoint(), 'base');
  // sd-tiny's TAESD decoder stands in for TAESDXL: the same architecture, other weights.
  mkdirSync(join(env.root, 'VAE-approx'), { recursive: true });
  copyFileSync(fixture('taesd_decoder.safetensors'), join(env.root, 'VAE-approx', 'taesdxl_decoder.safetensors'));
  writeFileSync(join(env.out, 'init.png'), await drawDemoImage(64, 64));
});
after(async () => {
  await models.dispose();
  await cleanup();
});

async function run(params: Img2ImgParams): Promise<{ fields: Record<string, string>; png: string; size: number[]; warnings: string[] }> {
  const result = await runImg2Img({
    model: checkpoint(), prompt: 'a red barn', sampler_name: 'Euler', steps: 3, seed: 5, width: 64, height: 64,
    save_images: false, send_images: true, init_images: [join(env.out, 'init.png')], denoising_strength: 0.8,
    ...params, override_settings: { sd_vae_decode_method: 'TAESD', ...params.override_settings },
  }, fakeJob('sdxl-speed'), testPipelineDeps(models, { ...defaultSettings({}), modelsRoot: env.root, outputDir: env.out, unetPrecision: 'int8' }));
  const image = result.images[0]!;
  return { fields: parseGenerationParameters(image.infotext).fields, png: image.png!, size: [image.width, image.height], warnings: result.warnings ?? [] };
}

describe('speed options on SDXL (tiny checkpoint)', () => {
  it('int8 UNet + TAESDXL decode + NGMS + token merging (a no-op, said); CFG 1 never runs the negative prompt', async () => {
    const ngms = await run({ cfg_scale: 7, s_min_uncond: 100, override_settings: { token_merging_ratio: 0.5 } });
    assert.deepEqual(ngms.size, [64, 64]);
    assert.equal(ngms.fields['NGMS'], '100');
    assert.equal(ngms.fields['VAE Decoder'], 'TAESD');
    assert.equal(ngms.fields['Token merging ratio'], '0.5', 'written as A1111 writes it');
    assert.ok(ngms.warnings.some((w) => /token merging does nothing on SDXL/.test(w)), `the job's warnings say so: ${ngms.warnings.join('\n')}`);
    const unet = (await models.get(checkpoint(), { unet: { tokenMerging: true, precision: 'int8' } })).layout.parts.unet!;
    assert.ok(unet.endsWith('model.int8.onnx'), unet);
    assert.ok(existsSync(join(dirname(unet), 'weights.int8.bin')));
    assert.ok(!existsSync(join(dirname(unet), 'model.int8-tome.onnx')), 'no merging graph for SDXL');

    const pixels = (png: string): Promise<Buffer> => sharp(Buffer.from(png, 'base64')).raw().toBuffer();
    const cfg1 = await run({ cfg_scale: 1, negative_prompt: 'blurry' });
    assert.equal(cfg1.fields['CFG scale'], '1');
    const other = await run({ cfg_scale: 1, negative_prompt: 'a green field' });
    assert.ok((await pixels(other.png)).equals(await pixels(cfg1.png)), 'CFG 1: the negative prompt changes nothing');
    assert.ok(!(await pixels(cfg1.png)).equals(await pixels(ngms.png)), 'CFG 7 is another image');
  });
  it('the fp16 UNet graph for GPU providers: float16 in and out (text_embeds and time_ids too), eps close to the sgm reference', async () => {
    const half = (await modelLayout(checkpoint(), { unet: { precision: 'fp16' } })).parts.unet!;
    assert.ok(half.endsWith('model.fp16.onnx'), half);
    const ref = await io(sdxlFixture('unet-sdxl.io.safetensors'));
    const y = ref.get('y')!.data as Float32Array;
    // text_embeds: the pooled CLIP-G output, the first 32 of y's 1568 numbers per row (the rest: size embeddings).
    const pooled = Float32Array.from({ length: 64 }, (_, i) => y[Math.floor(i / 32) * 1568 + (i % 32)]!);
    const f16 = (v: Float32Array, dims: number[]): ort.Tensor => new ort.Tensor('float16', f32ToF16Bits(v), dims);
    const s = await ort.InferenceSession.create(half, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    try {
      const x = ref.get('x')!;
      const out = (await s.run({
        sample: f16(x.data as Float32Array, x.dims), timestep: f16(ref.get('timesteps')!.data as Float32Array, [2]),
        encoder_hidden_states: f16(ref.get('context')!.data as Float32Array, [2, 77, 68]), text_embeds: f16(pooled, [2, 32]),
        time_ids: f16(sdxlTimeIds(await io(sdxlFixture('conditioner-sdxl.io.safetensors'))), [2, 6]),
      })).out_sample!;
      assert.equal(out.type, 'float16');
      const got = f16BitsToF32(out.data as Uint16Array);
      const want = ref.get('eps')!.data as Float32Array;
      let num = 0;
      let den = 0;
      for (let i = 0; i < want.length; i++) {
        num += (got[i]! - want[i]!) ** 2;
        den += want[i]! ** 2;
      }
      console.log(`  SDXL fp16 UNet vs sgm eps: relative L2 ${Math.sqrt(num / den).toExponential(2)}`);
      assert.ok(Math.sqrt(num / den) < 5e-3, 'fp16 rounding only');
    } finally {
      await s.release();
    }
  });
});
