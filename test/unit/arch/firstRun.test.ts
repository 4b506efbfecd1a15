// What a new A1111 user meets first, through the built CLI: an fp16 single-file checkpoint with a LoRA tag runs
// on a machine with nothing else (HOME an empty folder, no tokenizer variable, no Hugging Face cache): the CLIP
// tokenizer SD Studio ships is used, no deprecation warning is printed, and "Model hash" is the checkpoint
// file's AutoV2 hash (fp16 weights are converted into the build, so the build's files hash differently).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { hashFile } from '../../../models/hash';
import { readPngTextChunks } from '../../../daemon/infotext/pngChunks';
import { parseGenerationParameters } from '../../../daemon/infotext/a1111';
import { runCli } from '../../daemon/harness';
import { cleanup, fixture, tempDir } from './archHelpers';
import { writeTinyCheckpoint } from './tinyCheckpoint';

after(cleanup);

it('fp16 checkpoint + LoRA with an empty HOME: bundled tokenizer, no warning, Model hash = the file\'s AutoV2', async () => {
  const [home, user, root, out] = [await tempDir(), await tempDir(), await tempDir(), await tempDir()];
  const cp = join(user, 'tiny16.safetensors');
  await writeTinyCheckpoint(cp, ['unet-sd1.safetensors', 'clip-l-text.safetensors', 'vae.safetensors'], 'F16');
  writeFileSync(join(user, 'tiny16.config.json'), JSON.stringify({ hf_config: { num_attention_heads: 4 } }));
  mkdirSync(join(root, 'Lora'));
  copyFileSync(fixture('lora-sd1.safetensors'), join(root, 'Lora', 'lora-sd1.safetensors'));
  const bare = { HOME: home, XDG_CACHE_HOME: '', HF_HOME: '', SD_STUDIO_CACHE_DIR: '', SD_STUDIO_TOKENIZER: '', SD_STUDIO_MODELS_ROOT: root, SD_STUDIO_VAE: '' };
  const r = runCli(['img2img', '--model', cp, '-p', 'a red barn <lora:lora-sd1:1>', '--sampler', 'Euler', '--steps', '2', '--seed', '5', '-W', '64', '-H', '64', '--outdir', out], bare);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /DeprecationWarning|tokenizer/i);
  const text = readPngTextChunks(readFileSync(r.stdout.trim())).find((c) => c.keyword === 'parameters')!.text;
  assert.equal(parseGenerationParameters(text).fields['Model hash'], (await hashFile(cp, { cache: false })).autoV2);
});
