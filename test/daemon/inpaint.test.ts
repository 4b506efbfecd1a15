// Inpainting and outpainting through the built daemon and CLI with tiny models: inpainting leaves everything outside
// the blurred mask byte-identical, the 9-channel path, batch with broken files, outpainting.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { drawDemoImage } from '../../daemon/cli/demoImage';
import { testModelManager, testPipelineDeps } from '../fixtures/testServices';
import { runImg2Img } from '../../daemon/pipelines/img2img';
import { ErrorCodes } from '../../daemon/protocol';
import { defaultSettings } from '../../daemon/settings';
import { blurMask } from '../../daemon/image/mask/blur';
import type { GrayImage } from '../../daemon/image/mask/gray';
import { writeTinySdModel } from '../../models/testModel/tinySd';
import { runCli, startDaemon, tempDir, type TestDaemon } from './harness';
import { fakeJob } from '../fixtures/fakeJob';

const work = tempDir('sd-studio-inpaint-');
const modelDir = join(work, 'tiny');
const model9Dir = join(work, 'tiny-inpainting');
const SHOTS = '/tmp/inpaint-shots';
let daemon: TestDaemon;

const S = 128;
const source = join(work, 'source.png');
const maskFile = join(work, 'mask.png');
// A blob on the hills/sun boundary: a rectangle plus a 1-px diagonal stroke.
const maskPixels = (w: number, h: number): GrayImage => {
  const data = new Uint8Array(w * h);
  for (let y = Math.floor(h * 0.3); y < Math.floor(h * 0.6); y++) for (let x = Math.floor(w * 0.5); x < Math.floor(w * 0.8); x++) data[y * w + x] = 255;
  return { data, width: w, height: h };
};
const grayPng = (m: GrayImage): Promise<Buffer> => sharp(Buffer.from(m.data), { raw: { width: m.width, height: m.height, channels: 1 } }).png().toBuffer();
const rgbOf = async (path: string): Promise<{ data: Buffer; width: number; height: number }> => {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
};

/** source | mask | result side by side, a picture to look at. */
async function shot(name: string, files: string[]): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const imgs = await Promise.all(files.map(async (f) => sharp(f).removeAlpha().resize({ height: 256, kernel: 'nearest' }).png().toBuffer({ resolveWithObject: true })));
  const width = imgs.reduce((a, i) => a + i.info.width + 8, -8);
  let x = 0;
  const layers = imgs.map((i) => {
    const l = { input: i.data, left: x, top: 0 };
    x += i.info.width + 8;
    return l;
  });
  await sharp({ create: { width, height: 256, channels: 3, background: { r: 255, g: 255, b: 255 } } }).composite(layers).png().toFile(join(SHOTS, `${name}.png`));
}

before(async () => {
  await writeTinySdModel(modelDir);
  await writeTinySdModel(model9Dir, { unetInChannels: 9 });
  writeFileSync(source, await drawDemoImage(S, S));
  writeFileSync(maskFile, await grayPng(maskPixels(S, S)));
  daemon = await startDaemon({ model: modelDir });
});
after(async () => {
  await daemon?.stop();
});

const base = { prompt: 'a red barn', negative_prompt: 'blurry', sampler_name: 'Euler a', steps: 8, cfg_scale: 7, width: S, height: S, denoising_strength: 0.9, seed: 4 };

describe('inpainting keeps everything outside the blurred mask', () => {
  const outside = blurMask(maskPixels(S, S), 4, 4);
  const modes = ['fill', 'original', 'latent-noise', 'latent-nothing'] as const;
  for (const fullRes of [false, true]) {
    for (let fill = 0; fill < 4; fill++) {
      it(`${fullRes ? 'only masked' : 'whole picture'}, masked content ${modes[fill]}`, async () => {
        const r = await daemon.request('sd/img2img', { ...base, init_images: [source], mask: maskFile, inpainting_fill: fill as 0, inpaint_full_res: fullRes, inpaint_full_res_padding: 16, outdir: join(work, 'out-inpaint') });
        const out = r.images[0]!;
        const src = await rgbOf(source);
        const got = await rgbOf(out.path!);
        assert.equal(got.width, S);
        let changedInside = 0;
        for (let i = 0; i < S * S; i++) {
          const same = got.data[3 * i] === src.data[3 * i] && got.data[3 * i + 1] === src.data[3 * i + 1] && got.data[3 * i + 2] === src.data[3 * i + 2];
          if (outside.data[i] === 0) assert.ok(same, `pixel ${i % S},${Math.floor(i / S)} changed outside the mask`);
          else if (outside.data[i] === 255 && !same) changedInside++;
        }
        assert.ok(changedInside > 100, `only ${changedInside} pixels changed inside`);
        assert.match(out.infotext, /Denoising strength: 0\.9, Mask blur: 4, /);
        if (fullRes) assert.match(out.infotext, /Inpaint area: Only masked, Masked area padding: 16/);
        if (fill !== 1) assert.match(out.infotext, new RegExp(`Masked content: ${modes[fill]!.replace('-', ' ')}, Version`));
        await shot(`${fullRes ? 'only-masked' : 'whole-picture'}-${modes[fill]}`, [source, maskFile, out.path!]);
      });
    }
  }

  it('soft inpainting, mask from alpha, invert, and the beyond-A1111 options keep the outside too', async () => {
    const rgba = await sharp(source).ensureAlpha().raw().toBuffer();
    const m = maskPixels(S, S);
    for (let i = 0; i < S * S; i++) if (m.data[i]) rgba[4 * i + 3] = 0;
    const alphaSrc = join(work, 'alpha.png');
    await sharp(rgba, { raw: { width: S, height: S, channels: 4 } }).png().toFile(alphaSrc);
    const variants = [
      { name: 'soft', extra: { mask: maskFile, soft_inpainting: { enabled: true } }, key: /Soft inpainting enabled: True, Soft inpainting schedule bias: 1, /, outside },
      { name: 'alpha', extra: { mask_from_alpha: true }, key: /Mask blur: 4/, outside },
      { name: 'max-latent-no-colour-match', extra: { mask: maskFile, inpaint_latent_mask: 'max' as const, inpaint_colour_match: false }, key: /Mask blur: 4/, outside },
      { name: 'invert', extra: { mask: maskFile, inpainting_mask_invert: 1 as const, mask_blur: 0 }, key: /Mask mode: Inpaint not masked/, outside: { ...outside, data: maskPixels(S, S).data.map((v) => 255 - v) } },
    ];
    for (const v of variants) {
      const r = await daemon.request('sd/img2img', { ...base, init_images: [v.name === 'alpha' ? alphaSrc : source], ...v.extra, outdir: join(work, 'out-variants') });
      const src = await rgbOf(source);
      const got = await rgbOf(r.images[0]!.path!);
      for (let i = 0; i < S * S; i++) if (v.outside.data[i] === 0) assert.equal(got.data.subarray(3 * i, 3 * i + 3).compare(src.data.subarray(3 * i, 3 * i + 3)), 0, `${v.name}: pixel ${i} changed`);
      assert.match(r.images[0]!.infotext, v.key);
      await shot(`variant-${v.name}`, [source, maskFile, r.images[0]!.path!]);
    }
  });

  it('an empty mask is a clear error naming the field', async () => {
    const empty = join(work, 'empty.png');
    writeFileSync(empty, await grayPng({ data: new Uint8Array(S * S), width: S, height: S }));
    await assert.rejects(daemon.request('sd/img2img', { ...base, init_images: [source], mask: empty, save_images: false }), (e: { code: number; message: string }) => e.code === ErrorCodes.InvalidParams && /^mask: the mask is empty/.test(e.message));
  });
});

describe('9-channel inpainting models', () => {
  it('the UNet gets [latent 4, mask 1, masked-image latent 4] on every call, uncond and cond alike', async () => {
    const settings = { ...defaultSettings({}), model: model9Dir, outputDir: join(work, 'out9'), filenamePattern: '', directoryPattern: '' };
    const models = testModelManager();
    const model = await models.get(model9Dir);
    assert.equal(model.unet.inChannels, 9);
    const calls: Array<{ x: Float32Array; n: number; c: number }> = [];
    const predict = model.unet.predict.bind(model.unet);
    model.unet.predict = async (x, n, c, h, w, t, ctx, tokens, dim) => {
      calls.push({ x: x.slice(), n, c });
      return predict(x, n, c, h, w, t, ctx, tokens, dim);
    };
    const job = fakeJob('j');
    const r = await runImg2Img({ ...base, steps: 3, model: model9Dir, init_images: [source], mask: maskFile, save_images: false, send_images: true }, job, testPipelineDeps(models, settings));
    assert.match(r.images[0]!.infotext, /Denoising strength: 0\.9, Conditional mask weight: 1, Mask blur: 4/);
    const h = S / 8;
    const plane = h * h;
    assert.ok(calls.length >= 3);
    // Mask channel: the blurred, resized mask rounded, nearest-sampled to 16×16.
    const blurred = blurMask(maskPixels(S, S), 4, 4);
    for (const call of calls) {
      assert.equal(call.c, 9);
      for (let j = 0; j < call.n; j++) {
        const o = j * 9 * plane;
        for (let y = 0; y < h; y++) for (let x = 0; x < h; x++) assert.equal(call.x[o + 4 * plane + y * h + x], blurred.data[y * 8 * S + x * 8]! >= 128 ? 1 : 0);
        // The conditioning (channels 4..8) is the same for every call and both CFG halves.
        assert.deepEqual(call.x.subarray(o + 4 * plane, o + 9 * plane), calls[0]!.x.subarray(4 * plane, 9 * plane));
      }
    }
    // Masked-image latent: where the mask is solid the image is mid-grey (0), which the tiny VAE encodes as 0.
    const masked = calls[0]!.x.subarray(5 * plane, 9 * plane);
    const cy = 5, cx = 10; // inside the rectangle (rows 38..76, cols 64..102 → latent 5..9, 8..12)
    for (let c = 0; c < 4; c++) assert.ok(Math.abs(masked[c * plane + cy * h + cx]!) < 1e-5);
    assert.ok(Math.abs(masked[0 * plane + 1 * h + 1]!) > 0.01); // outside: the picture
    await models.dispose();
  });

  it('txt2img and plain img2img run on an inpainting model (mask all ones)', async () => {
    const t = await daemon.request('sd/img2img', { ...base, steps: 2, model: model9Dir, outdir: join(work, 'out9b') });
    assert.match(t.images[0]!.infotext, /Conditional mask weight: 1/);
    const i = await daemon.request('sd/img2img', { ...base, steps: 2, model: model9Dir, init_images: [source], override_settings: { inpainting_mask_weight: 0.5 }, outdir: join(work, 'out9b') });
    assert.match(i.images[0]!.infotext, /Conditional mask weight: 0\.5/);
  });
});

describe('outpainting', () => {
  it('left 128 px on 512×512 → 640×512; the right 512 px outside the blend band equal the source', async () => {
    const src512 = join(work, 'src512.png');
    writeFileSync(src512, await drawDemoImage(512, 512));
    const r = await daemon.request('sd/outpaint', { ...base, steps: 3, init_images: [src512], directions: ['left'], pixels: 128, outdir: join(work, 'out-outpaint') });
    const out = await rgbOf(r.images[0]!.path!);
    assert.deepEqual([out.width, out.height], [640, 512]);
    const src = await rgbOf(src512);
    // Mask black from x = 128 + 2·4; blur 2·4 = 8 → kernel radius 20: band x < 156 + 1.
    const bandEnd = 128 + 8 + 21;
    for (let y = 0; y < 512; y++) {
      for (let x = bandEnd; x < 640; x++) {
        const a = (y * 640 + x) * 3;
        const b = (y * 512 + x - 128) * 3;
        assert.equal(out.data.subarray(a, a + 3).compare(src.data.subarray(b, b + 3)), 0, `pixel ${x},${y}`);
      }
    }
    let changed = 0;
    for (let y = 0; y < 512; y++) for (let x = 0; x < 128; x++) changed += out.data[(y * 640 + x) * 3] !== 0 ? 1 : 0;
    assert.ok(changed > 1000, 'the new area was painted');
    await shot('outpaint-poor-man-left-128', [src512, r.images[0]!.path!]);
    const mk2 = await daemon.request('sd/outpaint', { ...base, steps: 3, init_images: [source], outpaint_method: 'mk2', directions: ['left', 'up'], pixels: 64, outdir: join(work, 'out-outpaint') });
    assert.deepEqual([mk2.images[0]!.width, mk2.images[0]!.height], [192, 192]);
    const raf = await daemon.request('sd/outpaint', { ...base, steps: 3, init_images: [source], outpaint_method: 'resize-and-fill', width: 256, height: 128, outdir: join(work, 'out-outpaint') });
    assert.deepEqual([raf.images[0]!.width, raf.images[0]!.height], [256, 128]);
    await shot('outpaint-mk2-left-up-64', [source, mk2.images[0]!.path!]);
    await shot('outpaint-resize-and-fill-256x128', [source, raf.images[0]!.path!]);
  });
});

describe('batch', () => {
  it('20 inputs with 3 broken files: 17 done, 3 reported with reasons, exit 1, nothing overwritten', async () => {
    const input = join(work, 'batch-in');
    const output = join(work, 'batch-out');
    mkdirSync(join(input, 'sub'), { recursive: true });
    const png = await drawDemoImage(32, 32);
    for (let i = 1; i <= 17; i++) writeFileSync(join(i > 15 ? join(input, 'sub') : input, `img${i}.png`), png);
    writeFileSync(join(input, 'broken1.png'), 'not an image at all');
    writeFileSync(join(input, 'broken2.jpg'), png.subarray(0, 100));
    writeFileSync(join(input, 'broken3.webp'), Buffer.alloc(0));
    writeFileSync(join(input, 'notes.txt'), 'ignored: not an image extension');
    const args = ['batch', '--model', modelDir, '--input', input, '--output', output, '--steps', '2', '--width', '32', '--height', '32', '--seed', '5', '--json'];
    const r = runCli(args);
    assert.equal(r.code, 1, r.stderr);
    const res = JSON.parse(r.stdout) as { files: Array<{ input: string; status: string; reason?: string; outputs: string[] }>; done: number; failed: number };
    assert.equal(res.files.length, 20);
    assert.equal(res.done, 17);
    assert.equal(res.failed, 3);
    for (const f of res.files.filter((x) => x.status === 'failed')) {
      assert.match(f.input, /broken\d/);
      assert.ok(f.reason && f.reason.includes(f.input.split('/').pop()!), f.reason);
    }
    assert.match(res.files.find((f) => f.input.endsWith('img1.png'))!.outputs[0]!, /[/\\]\d{5}-img1\.png$/);
    assert.equal(readdirSync(output).length, 17);
    // a second run adds files with new numbers, never overwriting
    const again = runCli(args);
    assert.equal(again.code, 1);
    assert.equal(readdirSync(output).length, 34);
    // masks by name: one missing mask → skipped with a reason
    const maskDir = join(work, 'batch-masks');
    mkdirSync(maskDir, { recursive: true });
    const m = await grayPng(maskPixels(32, 32));
    writeFileSync(join(maskDir, 'img1.png'), m);
    writeFileSync(join(maskDir, 'img2.png'), m);
    const only = join(work, 'batch-in2');
    mkdirSync(only, { recursive: true });
    for (const n of ['img1', 'img2', 'img3']) writeFileSync(join(only, `${n}.png`), png);
    const withMasks = runCli(['batch', '--model', modelDir, '--input', only, '--output', join(work, 'batch-out2'), '--mask-dir', maskDir, '--steps', '2', '--width', '32', '--height', '32', '--json']);
    const rm = JSON.parse(withMasks.stdout) as { files: Array<{ status: string; reason?: string }>; done: number; skipped: number };
    assert.equal(withMasks.code, 1);
    assert.deepEqual([rm.done, rm.skipped], [2, 1]);
    assert.match(rm.files[2]!.reason!, /no mask named img3/);
  });
});

describe('the CLI', () => {
  it('img2img --mask with the inpaint flags', () => {
    const outdir = join(work, 'cli-inpaint');
    const r = runCli(['img2img', '--model', modelDir, '-i', source, '--mask', maskFile, '--mask-blur', '6', '--inpainting-fill', 'latent-nothing', '--inpaint-full-res', '--inpaint-full-res-padding', '8',
      '--inpainting-mask-invert', '--steps', '2', '--width', '64', '--height', '64', '-p', 'x', '--outdir', outdir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const text = (JSON.parse(r.stdout) as { images: Array<{ infotext: string }> }).images[0]!.infotext;
    assert.match(text, /Mask mode: Inpaint not masked, Mask blur: 6, Inpaint area: Only masked, Masked area padding: 8, Masked content: latent nothing, Version/);
    assert.equal(runCli(['img2img', '--inpainting-fill', 'paint']).code, 2);
  });
});
