// VAE files: A1111's "SD VAE" setting ("Automatic" | "None" | a file in <modelsRoot>/VAE) and
// `<checkpoint>.vae.safetensors` beside a checkpoint, with "VAE hash" / "VAE" in the infotext when a separate VAE
// is loaded.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { hashFile } from '../../../models/hash';
import { readPngTextChunks } from '../../../daemon/infotext/pngChunks';
import { parseGenerationParameters } from '../../../daemon/infotext/a1111';
import { resolveSdVae } from '../../../daemon/modelFiles/sdVae';
import { runCli } from '../../daemon/harness';
import { cleanup, fixture, writeOtherVae } from './archHelpers';
import { tinyCheckpointEnv } from './tinyCheckpoint';

const env = { user: '', cache: '', root: '', out: '' };
const cp = () => join(env.user, 'tiny.safetensors');
const myVae = () => join(env.root, 'VAE', 'my-vae.safetensors');

before(async () => {
  Object.assign(env, await tinyCheckpointEnv());
  // A standalone VAE as distributed (no first_stage_model. prefix), with a changed decoder output conv.
  await writeOtherVae(myVae());
});
after(cleanup);

describe('SD VAE setting', () => {
  it('resolves Automatic / None / a file name as A1111 does', () => {
    assert.equal(resolveSdVae('Automatic', env.root, cp()), false, 'no VAE named after the checkpoint: its own');
    assert.equal(resolveSdVae('None', env.root, cp()), false);
    assert.equal(resolveSdVae('my-vae.safetensors', env.root, cp()), myVae());
    assert.equal(resolveSdVae('my-vae', env.root, cp()), myVae());
    assert.equal(resolveSdVae('Automatic', env.root, join(env.user, 'model-folder')), undefined, 'ONNX folders carry their VAE');
    assert.throws(() => resolveSdVae('gone.pt', env.root, cp()), /VAE "gone\.pt" not found.*found: my-vae\.safetensors/);
  });

  it('through sd-studio img2img: a VAE file changes the image and is named in the infotext; "None" and "Automatic" with a sidecar', async () => {
    const run = (vae: string): { px: Promise<Buffer>; fields: Record<string, string> } => {
      const r = runCli(['img2img', '--model', cp(), '-p', 'a red barn', '--sampler', 'Euler', '--steps', '2', '--seed', '3', '-W', '64', '-H', '64', '--outdir', env.out],
        { SD_STUDIO_MODELS_ROOT: env.root, SD_STUDIO_CACHE_DIR: env.cache, SD_STUDIO_TOKENIZER: fixture('../clip-tokenizer'), SD_STUDIO_VAE: vae });
      assert.equal(r.code, 0, r.stderr);
      const path = r.stdout.trim();
      assert.ok(path, `no output path (vae ${vae}): ${r.stdout} ${r.stderr}`);
      const text = readPngTextChunks(readFileSync(path)).find((c) => c.keyword === 'parameters')!.text;
      return { px: sharp(path).raw().toBuffer(), fields: parseGenerationParameters(text).fields };
    };
    const own = run('None');
    assert.equal(own.fields['VAE'], undefined);
    assert.equal(own.fields['VAE hash'], undefined);
    const file = run('my-vae.safetensors');
    assert.equal(file.fields['VAE'], 'my-vae.safetensors');
    assert.equal(file.fields['VAE hash'], (await hashFile(myVae(), { cache: false })).autoV2);
    assert.notDeepEqual(await file.px, await own.px);
    const modelHash = (await hashFile(cp(), { cache: false })).autoV2;
    assert.equal(own.fields['Model hash'], modelHash, 'A1111 "Model hash": the checkpoint file, not the ONNX build');
    assert.equal(file.fields['Model hash'], modelHash, 'a VAE override keeps the checkpoint hash');
    // --vae FILE: any VAE file by path, named in the infotext by its file name.
    const elsewhere = join(env.user, 'other-place.safetensors');
    copyFileSync(myVae(), elsewhere);
    const flagged = runCli(['img2img', '--model', cp(), '--vae', elsewhere, '-p', 'a red barn', '--sampler', 'Euler', '--steps', '2', '--seed', '3', '-W', '64', '-H', '64', '--outdir', env.out],
      { SD_STUDIO_MODELS_ROOT: env.root, SD_STUDIO_CACHE_DIR: env.cache, SD_STUDIO_TOKENIZER: fixture('../clip-tokenizer'), SD_STUDIO_VAE: 'None' });
    assert.equal(flagged.code, 0, flagged.stderr);
    assert.deepEqual(await sharp(flagged.stdout.trim()).raw().toBuffer(), await file.px);
    assert.equal(parseGenerationParameters(readPngTextChunks(readFileSync(flagged.stdout.trim())).find((c) => c.keyword === 'parameters')!.text).fields['VAE'], 'other-place.safetensors');
    const gone = runCli(['img2img', '--model', cp(), '--vae', join(env.user, 'gone.safetensors'), '-p', 'x', '--steps', '1', '-W', '64', '-H', '64', '--outdir', env.out],
      { SD_STUDIO_MODELS_ROOT: env.root, SD_STUDIO_CACHE_DIR: env.cache, SD_STUDIO_TOKENIZER: fixture('../clip-tokenizer') });
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /VAE file not found: .*gone\.safetensors/);
    // "Automatic" picks <checkpoint>.vae.safetensors beside the checkpoint.
    const sidecar = join(env.user, 'tiny.vae.safetensors');
    copyFileSync(myVae(), sidecar);
    try {
      const auto = run('Automatic');
      assert.equal(auto.fields['VAE'], 'tiny.vae.safetensors');
      assert.deepEqual(await auto.px, await file.px);
      const none = run('None');
      assert.deepEqual(await none.px, await own.px, '"None" ignores the sidecar');
    } finally {
      rmSync(sidecar);
    }
  });
});
