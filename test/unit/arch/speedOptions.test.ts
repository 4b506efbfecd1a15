// The speed options through the img2img pipeline on the tiny single-file checkpoint: VAE type TAESD for decode and
// encode (A1111's "VAE Decoder"/"VAE Encoder" keys, image size), a missing TAESD file named in the error, token
// merging (its own UNet graph beside the plain one, "Token merging ratio", the hires pass's "Token merging ratio
// hr"), NGMS, and the int8 UNet variant — each written to the infotext and read back by the infotext parser.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { drawDemoImage } from '../../../daemon/cli/demoImage';
import { parseGenerationParameters } from '../../../daemon/infotext/a1111';
import { paramsFromInfotext } from '../../../daemon/infotext/pasteParams';
import { runImg2Img } from '../../../daemon/pipelines/img2img';
import type { DaemonSettings, GenerationResult, Img2ImgParams } from '../../../daemon/protocol';
import { defaultSettings } from '../../../daemon/settings';
import { fakeJob } from '../../fixtures/fakeJob';
import { testModelManager, testPipelineDeps } from '../../fixtures/testServices';
import { cleanup, fixture, tempDir } from './archHelpers';
import { tinyCheckpointEnv } from './tinyCheckpoint';

const env = { user: '', cache: '', root: '', out: '', bare: '' };
const models = testModelManager();
let init = '';
/** The token-merging run's image, for the int8 comparison. */
let tomePng = '';
/** The plain run (fp32, full VAE, no merging). */
let plain: { png: string; infotext: string } | undefined;

before(async () => {
  Object.assign(env, await tinyCheckpointEnv());
  env.bare = await tempDir();
  process.env.SD_STUDIO_CACHE_DIR = env.cache;
  process.env.SD_STUDIO_TOKENIZER = fixture('../clip-tokenizer');
  mkdirSync(join(env.root, 'VAE-approx'), { recursive: true });
  for (const f of ['taesd_decoder.safetensors', 'taesd_encoder.safetensors']) copyFileSync(fixture(f), join(env.root, 'VAE-approx', f));
  init = join(env.out, 'init.png');
  writeFileSync(init, await drawDemoImage(64, 64));
});
after(async () => {
  await models.dispose();
  await cleanup();
});

async function run(params: Img2ImgParams, settings: Partial<DaemonSettings> = {}): Promise<{ result: GenerationResult; fields: Record<string, string>; png: string }> {
  const result = await runImg2Img({
    model: join(env.user, 'tiny.safetensors'), prompt: 'a red barn', sampler_name: 'Euler', steps: 3, seed: 5, width: 64, height: 64,
    save_images: false, send_images: true, init_images: [init], denoising_strength: 0.8, ...params,
  }, fakeJob('speed'), testPipelineDeps(models, { ...defaultSettings({}), modelsRoot: env.root, outputDir: env.out, ...settings }));
  const image = result.images[0]!;
  return { result, fields: parseGenerationParameters(image.infotext).fields, png: image.png! };
}

describe('speed options in img2img (tiny checkpoint)', () => {
  it('VAE type TAESD: decode and encode by TAESD, same image size, "VAE Encoder"/"VAE Decoder: TAESD"; pasted back as settings', async () => {
    const full = await run({});
    plain = { png: full.png, infotext: full.result.images[0]!.infotext };
    assert.ok(!plain.infotext.includes('VAE Decoder'), 'Full is not written');
    const taesd = await run({ override_settings: { sd_vae_decode_method: 'TAESD', sd_vae_encode_method: 'TAESD' } });
    const img = taesd.result.images[0]!;
    assert.deepEqual([img.width, img.height], [64, 64]);
    assert.equal(taesd.fields['VAE Decoder'], 'TAESD');
    assert.equal(taesd.fields['VAE Encoder'], 'TAESD');
    assert.notEqual(taesd.png, full.png);
    const back = paramsFromInfotext(img.infotext).params.override_settings;
    assert.equal(back?.sd_vae_decode_method, 'TAESD');
    assert.equal(back?.sd_vae_encode_method, 'TAESD');
  });

  it('VAE type TAESD without the file: the error names the file and the folder', async () => {
    await assert.rejects(run({ override_settings: { sd_vae_decode_method: 'TAESD' } }, { modelsRoot: env.bare }),
      (e: Error) => /taesd_decoder\.safetensors or taesd_decoder\.pth/.test(e.message) && e.message.includes(env.bare));
  });

  it('NGMS: "NGMS" once the uncond pass was skipped', async () => {
    const r = await run({ s_min_uncond: 100 });
    assert.equal(r.fields['NGMS'], '100');
    assert.equal(paramsFromInfotext(r.result.images[0]!.infotext).params.override_settings?.s_min_uncond, 100);
  });

  it('token merging 0.5: its own UNet graph beside the plain one, a different image, "Token merging ratio: 0.5"; 0 writes nothing', async () => {
    assert.ok(plain && !plain.infotext.includes('Token merging'));
    const tome = await run({ override_settings: { token_merging_ratio: 0.5 } });
    tomePng = tome.png;
    assert.equal(tome.fields['Token merging ratio'], '0.5');
    assert.notEqual(tome.png, plain!.png);
    const layout = (await models.get(join(env.user, 'tiny.safetensors'), { unet: { tokenMerging: true } })).layout;
    assert.ok(layout.parts.unet!.endsWith('model.tome.onnx'));
    assert.ok(existsSync(join(dirname(layout.parts.unet!), 'model.onnx')));
    assert.equal(paramsFromInfotext(tome.result.images[0]!.infotext).params.override_settings?.token_merging_ratio, 0.5);
  });

  it('hires fix: the second pass merges at "Token merging ratio hr" (its own, else the first pass\'s); NGMS in both passes', async () => {
    const hires: Img2ImgParams = { init_images: [], enable_hr: true, hr_scale: 2, hr_second_pass_steps: 2, denoising_strength: 0.5, steps: 2 };
    const same = await run({ ...hires, override_settings: { token_merging_ratio: 0.5 } });
    assert.equal(same.fields['Token merging ratio'], '0.5');
    assert.equal(same.fields['Token merging ratio hr'], '0.5');
    assert.deepEqual([same.result.images[0]!.width, same.result.images[0]!.height], [128, 128]);
    const own = await run({ ...hires, s_min_uncond: 100, override_settings: { token_merging_ratio_hr: 0.3 } });
    assert.equal(own.fields['Token merging ratio'], undefined, 'the first pass did not merge');
    assert.equal(own.fields['Token merging ratio hr'], '0.3');
    assert.equal(own.fields['NGMS'], '100');
    assert.equal(paramsFromInfotext(own.result.images[0]!.infotext).params.override_settings?.token_merging_ratio_hr, 0.3);
  });

  it('int8 UNet (with token merging): the variant builds and runs, close to but not the fp32 image', async () => {
    const int8 = await run({ override_settings: { token_merging_ratio: 0.5 } }, { unetPrecision: 'int8' });
    assert.equal(int8.fields['Token merging ratio'], '0.5');
    assert.ok(tomePng && int8.png !== tomePng);
    const layout = (await models.get(join(env.user, 'tiny.safetensors'), { unet: { tokenMerging: true, precision: 'int8' } })).layout;
    assert.ok(layout.parts.unet!.endsWith('model.int8-tome.onnx'));
    assert.ok(existsSync(join(dirname(layout.parts.unet!), 'weights.int8-tome.bin')));
  });
});
