// Weight formats: the same tiny checkpoint as `.safetensors`, as a real torch-zip `.ckpt` and as fp16
// weights gives the same image through `sd-studio img2img --model FILE` (fp16 within tolerance).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { checkpointToOnnx } from '../../../models/checkpointToOnnx';
import { openWeights, stateDict } from '../../../models/formats/open';
import { readTensor } from '../../../models/formats/tensorRecord';
import { drawDemoImage } from '../../../daemon/cli/demoImage';
import { runCli } from '../../daemon/harness';
import { cleanup, fixture, tempDir } from './archHelpers';
import { writeTinyCheckpoint } from './tinyCheckpoint';
import { writeTorchCkpt, type CkptTensor } from './torchCkpt';

const SD1 = ['unet-sd1.safetensors', 'clip-l-text.safetensors', 'vae.safetensors'];
const env = { user: '', cache: '', out: '', source: '' };
const heads = JSON.stringify({ hf_config: { num_attention_heads: 4 } });

before(async () => {
  env.user = await tempDir();
  env.cache = await tempDir();
  env.out = await tempDir();
  await writeTinyCheckpoint(join(env.user, 'tiny.safetensors'), SD1, 'F32');
  await writeTinyCheckpoint(join(env.user, 'tiny16.safetensors'), SD1, 'F16');
  const tensors: CkptTensor[] = [];
  for (const [name, r] of stateDict(await openWeights(join(env.user, 'tiny.safetensors')))) {
    const v = await readTensor(r);
    tensors.push({ name, dtype: r.dtype, shape: r.shape, data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) });
  }
  writeTorchCkpt(join(env.user, 'tiny.ckpt'), tensors);
  writeFileSync(join(env.user, 'tiny.config.json'), heads);
  writeFileSync(join(env.user, 'tiny16.config.json'), heads);
  env.source = join(env.out, 'source.png');
  writeFileSync(env.source, await drawDemoImage(64, 64));
});
after(cleanup);

describe('.ckpt end to end', () => {
  it('the torch-zip .ckpt is read as a checkpoint: same keys, fp32 weights point into its stored members', async () => {
    const ck = stateDict(await openWeights(join(env.user, 'tiny.ckpt')));
    const st = stateDict(await openWeights(join(env.user, 'tiny.safetensors')));
    assert.deepEqual([...ck.keys()], [...st.keys()]);
    const r = await checkpointToOnnx({ checkpoint: join(env.user, 'tiny.ckpt'), cacheDir: env.cache, hashCache: false });
    assert.equal(r.detection.family, 'sd1');
    assert.ok(r.parts.unet!.pointed > 600, `pointed ${r.parts.unet!.pointed}`);
    assert.equal(r.parts.unet!.converted, 0);
  });

  it('sd-studio img2img --model: .ckpt gives the same image as .safetensors; the fp16 file within tolerance', async () => {
    const cliEnv = { SD_STUDIO_CACHE_DIR: env.cache, SD_STUDIO_TOKENIZER: fixture('../clip-tokenizer') };
    const run = (model: string): string => {
      const r = runCli(['img2img', '--model', model, '-i', env.source, '-p', 'a lighthouse at dusk', '-n', 'blurry', '--sampler', 'Euler a', '--steps', '3', '--seed', '9',
        '-W', '64', '-H', '64', '--cfg-scale', '6', '--denoising-strength', '0.7', '--outdir', env.out], cliEnv);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    const px = async (p: string) => sharp(p).raw().toBuffer();
    const st = run(join(env.user, 'tiny.safetensors'));
    const ck = run(join(env.user, 'tiny.ckpt'));
    const f16 = run(join(env.user, 'tiny16.safetensors'));
    const a = await px(st);
    assert.deepEqual(await px(ck), a, '.ckpt and .safetensors: byte-identical pixels');
    const b = await px(f16);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    console.log(`  fp16 file vs fp32 file: max pixel difference ${worst}/255`);
    assert.ok(worst <= 2, `fp16 checkpoint differs by ${worst}/255`);
    const info = (p: string) => readFileSync(p).toString('latin1');
    assert.match(info(ck), /Model: tiny,/);
  });
});
