// A1111's SDXL refiner through `sd-studio img2img`: the switch point from the training sigmas, the refiner found by
// name under Stable-diffusion/, the infotext keys, a batch count (every batch starts on the base again) and a
// regenerate from the infotext.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { parseGenerationParameters } from '../../../daemon/infotext/a1111';
import { readPngTextChunks } from '../../../daemon/infotext/pngChunks';
import { discreteSchedule } from '../../../daemon/sampling';
import { completedRatio, resolveRefiner } from '../../../daemon/stages/refiner';
import { resolveCheckpointName } from '../../../daemon/modelFiles/checkpointName';
import { sha256Short } from '../../../models/hash';
import { runCli, startDaemon } from '../../daemon/harness';
import { startApiServer } from '../../daemon/apiServer';
import { cleanup, fixture, tempDir } from './archHelpers';
import { writeTinySdxlCheckpoint } from './sdxlHelpers';

const env = { user: '', cache: '', root: '', out: '' };
const base = () => join(env.user, 'xl.safetensors');
const refinerPath = () => join(env.root, 'Stable-diffusion', 'XL', 'xl-refiner.safetensors');

before(async () => {
  Object.assign(env, { user: await tempDir(), cache: await tempDir(), root: await tempDir(), out: await tempDir() });
  await writeTinySdxlCheckpoint(base(), 'base');
  mkdirSync(join(env.root, 'Stable-diffusion', 'XL'), { recursive: true });
  await writeTinySdxlCheckpoint(join(env.user, 'xl-refiner.safetensors'), 'refiner');
  renameSync(join(env.user, 'xl-refiner.safetensors'), refinerPath());
  renameSync(join(env.user, 'xl-refiner.config.json'), refinerPath().replace('.safetensors', '.config.json'));
});
after(cleanup);

function generate(args: string[]): { paths: string[]; fields: Record<string, string> } {
  // From an infotext, only the model and the output folder are given: the rest is pasted.
  const settings = args[0] === '--infotext-from' ? [] : ['-p', 'a red barn', '-n', 'blurry', '--sampler', 'Euler', '--steps', '4', '--seed', '21', '-W', '64', '-H', '64'];
  const r = runCli(['img2img', '--model', base(), ...settings, '--outdir', env.out, ...args],
    { SD_STUDIO_MODELS_ROOT: env.root, SD_STUDIO_CACHE_DIR: env.cache, SD_STUDIO_TOKENIZER: fixture('../clip-tokenizer') });
  assert.equal(r.code, 0, r.stderr);
  const paths = r.stdout.trim().split('\n');
  return { paths, fields: parseGenerationParameters(readPngTextChunks(readFileSync(paths[0]!)).find((c) => c.keyword === 'parameters')!.text).fields };
}
const pixels = (p: string | Buffer): Promise<Buffer> => sharp(p).raw().toBuffer();
/** The refined run of the CLI test (seed 21), which the API test compares with. */
let refinedFirst: string | undefined;

describe('SDXL refiner', () => {
  it('switch point as A1111 measures it: (999 − nearest training timestep) / 1000', () => {
    const table = discreteSchedule({ beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000 }).sigmas;
    assert.equal(completedRatio(table[999]!, table), 0);
    assert.equal(completedRatio(table[199]!, table), 0.8);
    assert.equal(completedRatio(table[0]! / 2, table), 0.999);
    assert.equal(resolveCheckpointName('xl-refiner [0123456789]', env.root, 'refiner_checkpoint'), refinerPath());
    assert.throws(() => resolveRefiner({ checkpoint: 'nope', switchAt: 0.8, bySteps: false }, env.root), /refiner_checkpoint|checkpoint "nope" not found/);
  });

  it('models/info: an SDXL checkpoint\'s family and 1024 default size, and the checkpoints to refine with', async () => {
    const d = await startDaemon({ modelsRoot: env.root, model: base() });
    try {
      const info = await d.request('models/info', {});
      assert.deepEqual({ family: info.family, defaultSize: info.defaultSize, checkpoints: info.checkpoints }, { family: 'sdxl', defaultSize: 1024, checkpoints: ['XL/xl-refiner.safetensors'] });
      assert.equal((await d.request('models/info', { model: refinerPath() })).family, 'sdxl-refiner');
      assert.equal((await d.request('models/info', { model: join(env.root, 'nothing.safetensors') })).family, 'unknown');
      // Aesthetic embeddings tune SD 1.x's CLIP ViT-L/14: asked for with SDXL, the job is refused saying so.
      await assert.rejects(d.request('sd/img2img', { prompt: 'a red barn', steps: 1, width: 64, height: 64, aesthetic: { embedding: 'style' }, save_images: false }), /aesthetic embeddings need an SD 1\.x model/);
    } finally {
      await d.stop();
    }
  });

  it('the refiner takes over at "switch at", is named in the infotext; each batch starts on the base; the infotext regenerates it', async () => {
    const refined = generate(['--refiner', 'xl-refiner', '--refiner-switch-at', '0.5', '--n-iter', '2', '--no-grid']);
    assert.equal(refined.paths.length, 2);
    refinedFirst = refined.paths[0];
    assert.equal(refined.fields['Refiner'], `xl-refiner [${await sha256Short(refinerPath())}]`);
    assert.equal(refined.fields['Refiner switch at'], '0.5');
    const plain = generate([]);
    assert.notDeepEqual(await pixels(refined.paths[0]!), await pixels(plain.paths[0]!), 'the refiner changed the last steps');
    // The batch count's second image (seed 22) started on the base again: its own infotext gives it back alone.
    const again = generate(['--infotext-from', refined.paths[1]!]);
    assert.equal(again.fields['Seed'], '22');
    assert.equal(again.fields['Refiner'], refined.fields['Refiner']);
    assert.deepEqual(await pixels(again.paths[0]!), await pixels(refined.paths[1]!));
    assert.equal(resolveRefiner({ checkpoint: 'xl-refiner', switchAt: 1, bySteps: false }, env.root), undefined, 'switch at 1: never');
    assert.equal(resolveRefiner({ checkpoint: 'None', switchAt: 0.8, bySteps: false }, env.root), undefined);
  });

  it('A1111 API: txt2img on an SDXL checkpoint with the refiner by title gives the CLI\'s image and infotext', async () => {
    const server = await startApiServer(['--models-root', env.root, '--model', base(), '--outdir', env.out], { SD_STUDIO_CACHE_DIR: env.cache, SD_STUDIO_TOKENIZER: fixture('../clip-tokenizer') });
    try {
      const title = `xl-refiner [${await sha256Short(refinerPath())}]`;
      const body = { prompt: 'a red barn', negative_prompt: 'blurry', sampler_name: 'Euler', steps: 4, seed: 21, width: 64, height: 64, refiner_checkpoint: title, refiner_switch_at: 0.5 };
      const res = await fetch(`${server.url}/sdapi/v1/txt2img`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.json()) as { images: string[]; info: string };
      assert.equal(res.status, 200, JSON.stringify(json));
      const fields = parseGenerationParameters((JSON.parse(json.info) as { infotexts: string[] }).infotexts[0]!).fields;
      assert.equal(fields['Refiner'], title);
      assert.equal(fields['Refiner switch at'], '0.5');
      assert.deepEqual(await pixels(Buffer.from(json.images[0]!, 'base64')), await pixels(refinedFirst!));
    } finally {
      await server.stop();
    }
  });
});
