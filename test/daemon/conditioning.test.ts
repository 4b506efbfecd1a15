// Prompt conditioning through the built daemon and CLI: embeddings by file name from <modelsRoot>/embeddings, CLIP
// skip, their infotext keys, the clear CLIP-skip error, the fixed-77-token UNet error, and `sd-studio prompt --json`
// listing the embeddings used.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseGenerationParameters } from '../../daemon/infotext/a1111';
import { ErrorCodes } from '../../daemon/protocol';
import { writeTinySdModel } from '../../models/testModel/tinySd';
import { sharedPath } from '../sharedPath';
import { writeA1111Pt } from '../unit/conditioning/embeddingFiles';
import { runCli, startDaemon, tempDir, type TestDaemon } from './harness';

const work = tempDir();
const modelDir = join(work, 'tiny');
const root = join(work, 'models');
const env = { SD_STUDIO_CACHE_DIR: join(work, 'cache') };
let daemon: TestDaemon;

before(async () => {
  process.env.SD_STUDIO_CACHE_DIR = env.SD_STUDIO_CACHE_DIR;
  await writeTinySdModel(modelDir);
  mkdirSync(join(root, 'embeddings'), { recursive: true });
  writeA1111Pt(join(root, 'embeddings', 'mystyle.pt'), 'mystyle', Float32Array.from({ length: 64 }, (_, i) => Math.cos(i)), 32);
  daemon = await startDaemon({ model: modelDir, modelsRoot: root });
});
after(async () => {
  await daemon?.stop();
});

const base = { negative_prompt: 'blurry', sampler_name: 'Euler', steps: 4, cfg_scale: 7, width: 64, height: 64, seed: 3, save_images: false };

describe('conditioning through the daemon', () => {
  it('an embedding and CLIP skip 2: "Clip skip" and "TI hashes" in the infotext', async () => {
    const r = await daemon.request('sd/img2img', { ...base, prompt: 'a [cat:dog:2] mystyle', override_settings: { CLIP_stop_at_last_layers: 2 } });
    const f = parseGenerationParameters(r.images[0]!.infotext).fields;
    assert.equal(f['Clip skip'], '2');
    assert.match(f['TI hashes'] ?? '', /^mystyle: [0-9a-f]{12}$/);
    const plain = await daemon.request('sd/img2img', { ...base, prompt: 'a cat' });
    assert.ok(!plain.images[0]!.infotext.includes('TI hashes'));
    assert.ok(!plain.images[0]!.infotext.includes('Clip skip'));
  });

  it('CLIP skip beyond the text encoder\'s layers fails with a message that says so', async () => {
    await assert.rejects(
      daemon.request('sd/img2img', { ...base, prompt: 'a cat', override_settings: { CLIP_stop_at_last_layers: 3 } }),
      /CLIP skip 3 needs hidden_states\[-3\], but this text encoder has 1 layer/,
    );
  });

  it('a prompt over 75 tokens on a UNet fixed at 77 tokens: ModelError naming the UNet file, not an ONNX Runtime shape error', async () => {
    const long = new Array(80).fill('cat').join(' ');
    await assert.rejects(daemon.request('sd/img2img', { ...base, prompt: long }), (e: Error & { code?: number; data?: { file?: string } }) => {
      assert.equal(e.code, ErrorCodes.ModelError);
      assert.match(e.data?.file ?? '', /unet[\\/]model\.onnx$/);
      assert.match(e.message, /this UNet export takes exactly 77 tokens; the prompt needs 154 \(2 chunks\) — shorten it or use a model exported with a dynamic sequence length/);
      return true;
    });
  });

  it('override_settings.pad_cond_uncond must be a boolean', async () => {
    await assert.rejects(daemon.request('sd/img2img', { ...base, prompt: 'a cat', override_settings: { pad_cond_uncond: 'yes' as unknown as boolean } }), /override_settings\.pad_cond_uncond/);
  });

  it('sd-studio prompt --json lists the embeddings the prompt uses', () => {
    const r = runCli(['prompt', 'a photo, mystyle, (cat:1.2)', '--json'], {
      ...env, SD_STUDIO_MODELS_ROOT: root, SD_STUDIO_TOKENIZER: sharedPath('models-fixtures', 'clip-tokenizer'), SD_STUDIO_MODEL: '',
    });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { embeddings: string[]; tokenCount: number };
    assert.deepEqual(j.embeddings, ['mystyle']);
    assert.equal(typeof j.tokenCount, 'number');
  });
});
