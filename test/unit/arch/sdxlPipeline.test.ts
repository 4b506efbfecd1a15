// `sd-studio img2img --model SDXL.safetensors` end to end on the tiny SDXL checkpoint assembled from the sdxl-tiny
// fixtures: txt2img, img2img, inpainting with a plain and a 9-channel SDXL checkpoint, the infotext A1111 writes
// for them, and a regenerate from that infotext. (LoRA, VAE files, embeddings and the refiner: sdxlVariants.test.ts.)
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { parseGenerationParameters } from '../../../daemon/infotext/a1111';
import { readPngTextChunks } from '../../../daemon/infotext/pngChunks';
import { runCli } from '../../daemon/harness';
import { sharedPath } from '../../sharedPath';
import { cleanup, fixture, tempDir } from './archHelpers';
import { writeTinySdxlCheckpoint } from './sdxlHelpers';

const env = { user: '', cache: '', root: '', out: '' };
const cp = (name: string) => join(env.user, `${name}.safetensors`);
const cliEnv = () => ({ SD_STUDIO_MODELS_ROOT: env.root, SD_STUDIO_CACHE_DIR: env.cache, SD_STUDIO_TOKENIZER: fixture('../clip-tokenizer') });

before(async () => {
  Object.assign(env, { user: await tempDir(), cache: await tempDir(), root: await tempDir(), out: await tempDir() });
  await writeTinySdxlCheckpoint(cp('xl'), 'base');
  await writeTinySdxlCheckpoint(cp('xl-inpaint'), 'inpaint');
  // A 64×64 source: a horizontal gradient with a dark square; the mask covers the square.
  const rgb = Buffer.alloc(64 * 64 * 3);
  const mask = Buffer.alloc(64 * 64);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const inSquare = x >= 20 && x < 44 && y >= 20 && y < 44;
      rgb.set(inSquare ? [20, 20, 30] : [x * 4, 128, 255 - x * 4], (y * 64 + x) * 3);
      mask[y * 64 + x] = inSquare ? 255 : 0;
    }
  }
  await sharp(rgb, { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(join(env.user, 'src.png'));
  await sharp(mask, { raw: { width: 64, height: 64, channels: 1 } }).png().toFile(join(env.user, 'mask.png'));
});
after(cleanup);

/** `settings`: the sampler, steps, seed and size flags every run uses unless the test gives its own. */
function generate(args: string[], settings = ['--sampler', 'Euler', '--steps', '2', '--seed', '7', '-W', '64', '-H', '64']): { path: string; fields: Record<string, string>; prompt: string; negative: string; text: string } {
  const r = runCli(['img2img', ...settings, '--outdir', env.out, ...args], cliEnv());
  assert.equal(r.code, 0, r.stderr);
  const path = r.stdout.trim().split('\n').pop()!;
  const text = readPngTextChunks(readFileSync(path)).find((c) => c.keyword === 'parameters')!.text;
  const info = parseGenerationParameters(text);
  return { path, fields: info.fields, prompt: info.prompt, negative: info.negativePrompt, text };
}

const pixels = async (path: string): Promise<Buffer> => sharp(path).raw().toBuffer();

describe('SDXL end to end (tiny checkpoint)', () => {
  it('txt2img and img2img; the infotext is A1111\'s and regenerates the same image; the empty negative prompt is zeros', async () => {
    const t2i = generate(['--model', cp('xl'), '-p', 'a (red:1.2) barn BREAK at dusk']);
    const meta = await sharp(t2i.path).metadata();
    assert.deepEqual([meta.width, meta.height], [64, 64]);
    assert.deepEqual([t2i.fields['Size-1'], t2i.fields['Size-2']], ['64', '64']);
    assert.equal(t2i.fields['Model'], 'xl');
    assert.match(t2i.fields['Model hash'] ?? '', /^[0-9a-f]{10}$/);
    const again = generate(['--model', cp('xl'), '--infotext-from', t2i.path]);
    assert.deepEqual(await pixels(again.path), await pixels(t2i.path), 'regenerated from its own PNG info');
    // An empty negative prompt is zeroed (A1111 sd_models_xl), a non-empty one is encoded.
    const space = generate(['--model', cp('xl'), '-p', 'a (red:1.2) barn BREAK at dusk', '-n', ' ']);
    assert.notDeepEqual(await pixels(space.path), await pixels(t2i.path), '" " is encoded, "" is zeros');

    const i2i = generate(['--model', cp('xl'), '-p', 'a red barn', '-i', join(env.user, 'src.png'), '-d', '0.5']);
    assert.equal(i2i.fields['Denoising strength'], '0.5');
    assert.notDeepEqual(await pixels(i2i.path), await pixels(t2i.path));
  });

  it('--infotext-from an A1111 SDXL PNG (Illustrious, 1024²) takes its settings; size and steps given as flags win', () => {
    const png = sharedPath('pnginfo-corpus', 'files', 'a1111__sdmeta__sd-webui.png');
    const r = generate(['--model', cp('xl'), '--infotext-from', png], ['--steps', '1', '-W', '64', '-H', '64']);
    assert.match(r.prompt, /^general, masterpiece, best quality, amazing quality,\s*\n1girl, solo, hatsune miku, \u30c6\u30b9\u30c8/);
    assert.deepEqual([r.fields['Sampler'], r.fields['CFG scale'], r.fields['Seed'], r.fields['Steps'], r.fields['Size-1']], ['DPM++ 2M', '7', '3782896554', '1', '64']);
    assert.equal(r.negative.trimEnd(), 'bad quality, worst quality, worst detail, sketch, censor,');
  });

  it('hires fix runs on SDXL (its second pass gets SDXL conditioning for the upscaled size)', async () => {
    const r = generate(['--model', cp('xl'), '-p', 'a red barn', '--hr-scale', '2', '--hr-steps', '1', '--hr-upscaler', 'Latent']);
    const meta = await sharp(r.path).metadata();
    assert.deepEqual([meta.width, meta.height], [128, 128]);
    assert.equal(r.fields['Hires upscale'], '2');
  });

  it('inpaint with plain SDXL and with a 9-channel SDXL inpainting checkpoint: the unmasked area is kept', async () => {
    for (const model of ['xl', 'xl-inpaint']) {
      const r = generate(['--model', cp(model), '-p', 'a window', '-i', join(env.user, 'src.png'), '--mask', join(env.user, 'mask.png'), '--mask-blur', '0', '--inpainting-fill', '1']);
      const out = await pixels(r.path);
      const src = await pixels(join(env.user, 'src.png'));
      let outside = 0;
      let inside = 0;
      for (let y = 0; y < 64; y++) {
        for (let x = 0; x < 64; x++) {
          const d = Math.abs(out[(y * 64 + x) * 3]! - src[(y * 64 + x) * 3]!);
          if (x >= 24 && x < 40 && y >= 24 && y < 40) inside = Math.max(inside, d);
          else if (x < 12 || x >= 52 || y < 12 || y >= 52) outside = Math.max(outside, d);
        }
      }
      assert.ok(outside <= 1, `${model}: unmasked pixels kept (max diff ${outside})`);
      assert.ok(inside > 5, `${model}: the masked square was regenerated (max diff ${inside})`);
      if (model === 'xl-inpaint') assert.equal(r.fields['Conditional mask weight'], '1');
    }
  });

  it('the size defaults to 1024 for SDXL when none is given (validated, not generated)', async () => {
    const { withModelSizeDefaults, resolveImg2Img } = await import('../../../daemon/validate');
    const { defaultSettings } = await import('../../../daemon/settings');
    const p = resolveImg2Img({ prompt: 'x', height: 768 }, defaultSettings({}));
    assert.deepEqual([withModelSizeDefaults(p, true).width, withModelSizeDefaults(p, true).height], [1024, 768]);
    assert.deepEqual([withModelSizeDefaults(p, false).width, withModelSizeDefaults(p, false).height], [512, 768]);
    writeFileSync(join(env.out, '.keep'), '');
  });

  it('the cheap live preview uses A1111\'s SDXL map for SDXL latents', async () => {
    const { latentToRgbaCheap } = await import('../../../daemon/stages/preview');
    const latent = Float32Array.of(1, 0, 0, 0); // one pixel: channel 0 only → the map's first row, ×0.5 + 0.5
    assert.deepEqual([...latentToRgbaCheap(latent, 1, 1, 'sdxl').slice(0, 3)], [0.3448, 0.4168, 0.4395].map((v) => Math.round(((v + 1) / 2) * 255)));
    assert.deepEqual([...latentToRgbaCheap(latent, 1, 1, 'sd').slice(0, 3)], [0.298, 0.207, 0.208].map((v) => Math.round(((v + 1) / 2) * 255)));
  });
});
