// The speed options on an SDXL checkpoint (the tiny one assembled from the sdxl-tiny fixtures), in one model load:
// the int8 UNet variant (built with SDXL's vector input), VAE type TAESD (TAESDXL's file), NGMS, CFG 1 (the
// negative prompt then never reaches the UNet: two negatives give the same image), and token merging, which on
// SDXL changes nothing, as in A1111, and says so.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { drawDemoImage } from '../../../daemon/cli/demoImage';
import { parseGenerationParameters } from '../../../daemon/infotext/a1111';
import { ModelManager } from '../../../daemon/parts/sdModel';
import { runImg2Img } from '../../../daemon/pipelines/img2img';
import { TokenizerStore } from '../../../daemon/prompt/tokenizerStore';
import type { Img2ImgParams } from '../../../daemon/protocol';
import { defaultSettings } from '../../../daemon/settings';
import { SessionPool } from '../../../models/sessions';
import { fakeJob } from '../../fixtures/fakeJob';
import { testPipelineDeps } from '../../fixtures/testServices';
import { cleanup, fixture, tempDir } from './archHelpers';
import { writeTinySdxlCheckpoint } from './sdxlHelpers';

const env = { user: '', cache: '', root: '', out: '' };
const warnings: string[] = [];
const models = new ModelManager(new SessionPool({ provider: 'cpu', threads: 1 }), new TokenizerStore(), undefined, (m) => warnings.push(m));
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

async function run(params: Img2ImgParams): Promise<{ fields: Record<string, string>; png: string; size: number[] }> {
  const result = await runImg2Img({
    model: checkpoint(), prompt: 'a red barn', sampler_name: 'Euler', steps: 3, seed: 5, width: 64, height: 64,
    save_images: false, send_images: true, init_images: [join(env.out, 'init.png')], denoising_strength: 0.8,
    ...params, override_settings: { sd_vae_decode_method: 'TAESD', ...params.override_settings },
  }, fakeJob('sdxl-speed'), testPipelineDeps(models, { ...defaultSettings({}), modelsRoot: env.root, outputDir: env.out, unetPrecision: 'int8' }));
  const image = result.images[0]!;
  return { fields: parseGenerationParameters(image.infotext).fields, png: image.png!, size: [image.width, image.height] };
}

describe('speed options on SDXL (tiny checkpoint)', () => {
  it('int8 UNet + TAESDXL decode + NGMS + token merging (a no-op, said); CFG 1 never runs the negative prompt', async () => {
    const ngms = await run({ cfg_scale: 7, s_min_uncond: 100, override_settings: { token_merging_ratio: 0.5 } });
    assert.deepEqual(ngms.size, [64, 64]);
    assert.equal(ngms.fields['NGMS'], '100');
    assert.equal(ngms.fields['VAE Decoder'], 'TAESD');
    assert.equal(ngms.fields['Token merging ratio'], '0.5', 'written as A1111 writes it');
    assert.ok(warnings.some((w) => /token merging does nothing on SDXL/.test(w)), warnings.join('\n'));
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
});
