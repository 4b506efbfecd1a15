// Extras end to end through the built CLI and daemon: batch with a bad file (goes on, exit 1, per-file report),
// PNG info carried with A1111's "Postprocess" lines, the built-in AI default, scale to + crop, the upscaler list,
// clear errors for a corrupt and an unsupported model.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { readPngTextChunks, withPngText } from '../../daemon/infotext/pngChunks';
import { ErrorCodes } from '../../daemon/protocol';
import { runCli, startDaemon, tempDir, type TestDaemon } from './harness';

const work = tempDir('sd-studio-extras-');
const inDir = join(work, 'in');
const models = join(work, 'models');
const cache = join(work, 'cache');
const PARAMS = 'a red flower\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 48x40';
let daemon: TestDaemon;

async function smallPng(w: number, h: number): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31) % 251;
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

before(async () => {
  mkdirSync(inDir, { recursive: true });
  mkdirSync(join(models, 'ESRGAN'), { recursive: true });
  writeFileSync(join(inDir, 'a.png'), withPngText(await smallPng(48, 40), [['parameters', PARAMS]]));
  writeFileSync(join(inDir, 'b-broken.png'), Buffer.from('this is not a png'));
  writeFileSync(join(inDir, 'c.png'), await smallPng(32, 24));
  writeFileSync(join(models, 'ESRGAN', 'corrupt.pth'), Buffer.from('PK\x03\x04garbage that is not a zip'));
  writeFileSync(join(models, 'ESRGAN', 'notanupscaler.safetensors'), safetensors({ 'encoder.layers.0.attn.weight': [2, 2], 'decoder.norm.bias': [2] }));
  // The spawned daemon inherits this: built graphs and hashes go to the test's own cache, not the user's.
  process.env.SD_STUDIO_CACHE_DIR = cache;
  daemon = await startDaemon({ modelsRoot: models, upscalerTileSize: 32 });
});
after(async () => {
  await daemon?.stop();
});

function safetensors(tensors: Record<string, number[]>): Buffer {
  let at = 0;
  const header: Record<string, unknown> = {};
  for (const [k, shape] of Object.entries(tensors)) {
    const n = shape.reduce((a, b) => a * b, 1) * 4;
    header[k] = { dtype: 'F32', shape, data_offsets: [at, at + n] };
    at += n;
  }
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, Buffer.alloc(at)]);
}

describe('sd-studio extras (CLI)', () => {
  it('a folder batch with the built-in model: keeps going past a bad file, exit 1, PNG info carried', () => {
    const out = join(work, 'out1');
    const r = runCli(['extras', inDir, '--scale', '2', '--out', out, '--tile-size', '32'], { SD_STUDIO_CACHE_DIR: cache, SD_STUDIO_MODELS_ROOT: models });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /b-broken\.png: .*not an image/);
    assert.match(r.stderr, /1 of 3 images failed/);
    assert.deepEqual(readdirSync(out).sort(), ['a.png', 'c.png']);
    const chunks = readPngTextChunks(new Uint8Array(readFileSync(join(out, 'a.png'))));
    const text = Object.fromEntries(chunks.map((c) => [c.keyword, c.text]));
    assert.equal(text.parameters, PARAMS);
    assert.equal(text.extras, 'Postprocess upscale by: 2, Postprocess upscaler: ESRGAN-Slim 4x');
  });

  it('scale to with crop, Lanczos, gives exactly W×H', async () => {
    const out = join(work, 'out2');
    const r = runCli(['extras', join(inDir, 'c.png'), '--width', '100', '--height', '64', '--crop', '--upscaler', 'Lanczos', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const meta = await sharp(join(out, 'c.png')).metadata();
    assert.deepEqual([meta.width, meta.height], [100, 64]);
  });

  it('usage errors exit 2', () => {
    assert.equal(runCli(['extras', join(inDir, 'a.png')]).code, 2);
    assert.equal(runCli(['extras', join(inDir, 'a.png'), '--scale', '2', '--width', '9', '--height', '9', '--out', work]).code, 2);
  });
});

describe('sd/extras and sd/upscalers.list (protocol)', () => {
  it('lists None, Lanczos, Nearest first, then models sorted, the built-in included', async () => {
    const r = await daemon.request('sd/upscalers.list', {});
    const names = r.upscalers.map((u) => u.name);
    assert.deepEqual(names.slice(0, 3), ['None', 'Lanczos', 'Nearest']);
    assert.ok(names.includes('ESRGAN-Slim 4x'));
    assert.ok(names.includes('corrupt'));
    assert.equal(r.defaultUpscaler, 'ESRGAN-Slim 4x');
  });

  it('a corrupt model and an unsupported architecture fail that image with a clear error', async () => {
    const corrupt = await daemon.request('sd/extras', { images: [join(inDir, 'c.png')], upscaler_1: 'corrupt', save_images: false });
    assert.equal(corrupt.failed, 1);
    assert.match(corrupt.images[0]!.error!, /corrupt\.pth/);
    const foreign = await daemon.request('sd/extras', { images: [join(inDir, 'c.png')], upscaler_1: 'notanupscaler', save_images: false });
    assert.match(foreign.images[0]!.error!, /unsupported upscaler architecture.*unrecognised keys: .*encoder\.layers\.#\.attn\.weight/);
  });

  it('an unknown upscaler name is an invalid param naming the field', async () => {
    await assert.rejects(daemon.request('sd/extras', { images: [join(inDir, 'c.png')], upscaler_1: 'Nope' }), (e: { code: number; message: string }) => e.code === ErrorCodes.InvalidParams && /upscaler_1/.test(e.message));
  });

  it('visibility-0 face restoration and None leave the pixels unchanged', async () => {
    const r = await daemon.request('sd/extras', { images: [join(inDir, 'c.png')], upscaler_1: 'None', gfpgan_visibility: 0, send_images: true, save_images: false });
    const a = await sharp(join(inDir, 'c.png')).raw().toBuffer();
    const b = await sharp(Buffer.from(r.images[0]!.png!, 'base64')).raw().toBuffer();
    assert.ok(a.equals(b));
    assert.equal(r.images[0]!.info, '');
  });
});
