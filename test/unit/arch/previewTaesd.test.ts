// Live preview with TAESD: the decoder graph is built once (cached by the file's hash), decodes the
// sd-tiny TAESD fixture's latent to the stored PyTorch image, and the daemon sends full-size TAESD previews when
// previewMethod is 'taesd' and `<modelsRoot>/VAE-approx/taesd_decoder.safetensors` exists.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { SessionPool } from '../../../models/sessions';
import { taesdToRgba } from '../../../daemon/parts/taesd';
import { buildTaesdDecoder } from '../../../models/taesdCache';
import { findFixedModelFile } from '../../../models/registry';
import type { JobPreviewNotification } from '../../../daemon/protocol';
import { startDaemon } from '../../daemon/harness';
import { cleanup, fixture, io, tempDir } from './archHelpers';
import { writeTinyCheckpoint } from './tinyCheckpoint';

const env = { root: '', cache: '', user: '', out: '' };

before(async () => {
  env.root = await tempDir();
  env.cache = await tempDir();
  env.user = await tempDir();
  env.out = await tempDir();
  // Hash caches and builds of this test (and the daemon it starts) stay in its own folder.
  process.env.SD_STUDIO_CACHE_DIR = env.cache;
  mkdirSync(join(env.root, 'VAE-approx'), { recursive: true });
  copyFileSync(fixture('taesd_decoder.safetensors'), join(env.root, 'VAE-approx', 'taesd_decoder.safetensors'));
});
after(cleanup);

describe('TAESD live preview', () => {
  it('finds the decoder, builds it once, and decodes the fixture latent like PyTorch (clamped to [0,1], 8-bit)', async () => {
    const file = findFixedModelFile(env.root, 'taesdDecoder');
    assert.equal(file, join(env.root, 'VAE-approx', 'taesd_decoder.safetensors'));
    assert.equal(findFixedModelFile(env.user, 'taesdDecoder'), undefined);
    const cacheDir = join(env.cache, 'taesd');
    const model = await buildTaesdDecoder(file!, cacheDir);
    const built = statSync(model).mtimeMs;
    assert.equal(await buildTaesdDecoder(file!, cacheDir), model);
    assert.equal(statSync(model).mtimeMs, built, 'second call reuses the build');
    const ref = await io('taesd.io.safetensors');
    const latent = ref.get('latent_in')!;
    const pool = new SessionPool({ provider: 'cpu', threads: 1 });
    try {
      const s = await pool.get(model);
      const { rgba, width, height } = await taesdToRgba(s, latent.data as Float32Array, latent.dims[2]!, latent.dims[3]!);
      assert.deepEqual([width, height], [64, 64]);
      const want = ref.get('decoded')!.data as Float32Array;
      const plane = width * height;
      let worst = 0;
      for (let i = 0; i < plane; i++) {
        for (let c = 0; c < 3; c++) {
          const w = Math.min(1, Math.max(0, want[c * plane + i]!)) * 255;
          worst = Math.max(worst, Math.abs(rgba[i * 4 + c]! - w));
        }
      }
      console.log(`  taesd preview vs PyTorch decoded: max ${worst.toFixed(3)} / 255`);
      assert.ok(worst <= 0.51, `worst ${worst}`);
    } finally {
      await pool.disposeAll();
    }
  });

  it('the daemon sends full-size TAESD previews with previewMethod "taesd" (cheap 1/8-size ones otherwise)', async () => {
    const cp = join(env.user, 'tiny.safetensors');
    await writeTinyCheckpoint(cp, ['unet-sd1.safetensors', 'clip-l-text.safetensors', 'vae.safetensors'], 'F32');
    writeFileSync(join(env.user, 'tiny.config.json'), JSON.stringify({ hf_config: { num_attention_heads: 4 } }));
    process.env.SD_STUDIO_TOKENIZER = fixture('../clip-tokenizer');
    const sizes = async (previewMethod: 'taesd' | 'cheap'): Promise<string[]> => {
      const d = await startDaemon({ model: cp, modelsRoot: env.root, previewEvery: 1, previewMethod });
      try {
        const got: JobPreviewNotification[] = [];
        d.on('sd/job.preview', (p) => got.push(p));
        await d.request('sd/img2img', { prompt: 'a red barn', sampler_name: 'Euler', steps: 2, cfg_scale: 5, width: 64, height: 64, seed: 1, outdir: env.out });
        for (const p of got) {
          const png = PNG.sync.read(Buffer.from(p.png, 'base64'));
          assert.deepEqual([png.width, png.height], [p.width, p.height]);
        }
        return got.map((p) => `${p.width}x${p.height}`);
      } finally {
        await d.stop();
      }
    };
    const taesd = await sizes('taesd');
    assert.ok(taesd.length >= 1);
    assert.ok(taesd.every((s) => s === '64x64'), taesd.join(', '));
    const cheap = await sizes('cheap');
    assert.ok(cheap.length >= 1 && cheap.every((s) => s === '8x8'), cheap.join(', '));
  });
});
