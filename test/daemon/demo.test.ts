// `sd-studio demo` on the built-in tiny model: its img2img keeps the sample picture at low strength and drifts at
// high strength, resize modes frame it differently, and two runs write byte-identical images to new files.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { DEMO_SIZE, demoImg2imgParams } from '../../daemon/cli/commands/demo';
import { drawDemoImage } from '../../daemon/cli/demoImage';
import { readPngTextChunks } from '../../daemon/infotext/pngChunks';
import type { ResizeMode } from '../../daemon/protocol';
import { writeTinySdModel } from '../../models/testModel/tinySd';
import { runCli, startDaemon, tempDir, type TestDaemon } from './harness';

const work = tempDir();
const modelDir = join(work, 'tiny');
const source = join(work, 'sample-dusk.png');
let daemon: TestDaemon;

before(async () => {
  await writeTinySdModel(modelDir);
  writeFileSync(source, await drawDemoImage(DEMO_SIZE, DEMO_SIZE));
  daemon = await startDaemon({ model: modelDir, previewEvery: 0 });
});
after(async () => {
  await daemon?.stop();
});

interface Rgb {
  data: Buffer;
  width: number;
  height: number;
}

async function rgb(png: Buffer | string): Promise<Rgb> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function psnr(a: Buffer, b: Buffer): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((255 * 255 * a.length) / se);
}

/** The demo's img2img with other settings, the PNG returned inline. */
async function img2img(over: { denoising_strength?: number; width?: number; height?: number; resize_mode?: ResizeMode }): Promise<Rgb> {
  const params = { ...demoImg2imgParams(source, modelDir, false, work), ...over, save_images: false, send_images: true };
  const res = await daemon.request('sd/img2img', params);
  return rgb(Buffer.from(res.images[0]!.png!, 'base64'));
}

/** PSNR over the columns [x0, x1) of two pictures of the same size. */
function bandPsnr(a: Rgb, b: Rgb, x0: number, x1: number): number {
  let se = 0, n = 0;
  for (let y = 0; y < a.height; y++)
    for (let i = 3 * (y * a.width + x0); i < 3 * (y * a.width + x1); i++, n++) se += (a.data[i]! - b.data[i]!) ** 2;
  return 10 * Math.log10((255 * 255 * n) / se);
}

describe('the demo on the built-in tiny model', () => {
  it('keeps the sample picture at strength 0.3 (PSNR ≥ 20 dB) and drifts much further at 0.9', async (t) => {
    const input = await rgb(source);
    const low = psnr(input.data, (await img2img({ denoising_strength: 0.3 })).data);
    const high = psnr(input.data, (await img2img({ denoising_strength: 0.9 })).data);
    t.diagnostic(`PSNR vs the sample: ${low.toFixed(2)} dB at 0.3, ${high.toFixed(2)} dB at 0.9`);
    assert.ok(low >= 20, `PSNR at 0.3: ${low.toFixed(2)} dB`);
    // 5 dB: the squared error at 0.9 is over three times that at 0.3.
    assert.ok(high < low - 5, `PSNR at 0.9: ${high.toFixed(2)} dB vs ${low.toFixed(2)} dB at 0.3`);
  });

  it('resize modes frame the square sample differently in a 2:1 picture', async (t) => {
    const [W, H] = [256, 128];
    // Each mode's framing of the sample, made with sharp; compared over the middle half, where resize and fill
    // shows the picture (its sides are filled).
    const framings = {
      'just resize': await rgb(await sharp(source).resize(W, H, { fit: 'fill' }).toBuffer()),
      'crop and resize': await rgb(await sharp(source).resize(W, H, { fit: 'cover' }).toBuffer()),
      'resize and fill': await rgb(await sharp(source).resize(H, H).extend({ left: (W - H) / 2, right: (W - H) / 2, extendWith: 'copy' }).toBuffer()),
    };
    const modes = [[0, 'just resize'], [1, 'crop and resize'], [2, 'resize and fill'], [3, 'just resize']] as const;
    const outputs = await Promise.all(modes.map(([m]) => img2img({ width: W, height: H, denoising_strength: 0.3, resize_mode: m })));
    modes.forEach(([mode, own], i) => {
      const scores = Object.entries(framings).map(([name, ref]) => [name, bandPsnr(outputs[i]!, ref, W / 4, (3 * W) / 4)] as const);
      const mine = scores.find(([name]) => name === own)![1];
      t.diagnostic(`mode ${mode}: ${scores.map(([n, v]) => `${n} ${v.toFixed(1)} dB`).join(', ')}`);
      const rival = Math.max(...scores.filter(([name]) => name !== own).map(([, v]) => v));
      assert.ok(mine > rival + 2, `resize mode ${mode} matches ${own}: ${scores.map(([n, v]) => `${n} ${v.toFixed(1)} dB`).join(', ')}`);
    });
  });

  it('npm run demo twice: img2img, ×2 upscale and side-by-side in new files, byte-identical, infotext read back', async () => {
    const out = join(work, 'outputs');
    const env = { SD_STUDIO_CACHE_DIR: join(work, 'cache'), SD_STUDIO_MODEL: '' };
    const runs = [runCli(['demo', '--outdir', out], env), runCli(['demo', '--outdir', out], env)];
    const paths = runs.map((r) => {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /parses back to the same settings: yes/);
      return r.stdout.trim().split('\n');
    });
    const [first, second] = paths as [string[], string[]];
    assert.equal(first.length, 3, first.join('\n'));
    assert.match(first[0]!, /img2img-images[/\\][\d-]+[/\\]00000-1234567\.png$/);
    assert.match(first[1]!, /extras-images[/\\]00000\.png$/);
    assert.match(first[2]!, /demo[/\\]00000-side-by-side\.png$/);
    for (let i = 0; i < 3; i++) {
      assert.notEqual(first[i], second[i]);
      assert.deepEqual(readFileSync(second[i]!), readFileSync(first[i]!), `${first[i]} and ${second[i]} are byte-identical`);
    }
    const [made, upscaled, row] = await Promise.all(first.map((p) => sharp(p).metadata()));
    assert.deepEqual([made!.width, made!.height], [DEMO_SIZE, DEMO_SIZE]);
    assert.deepEqual([upscaled!.width, upscaled!.height], [2 * DEMO_SIZE, 2 * DEMO_SIZE]);
    assert.deepEqual([row!.width, row!.height], [3 * 2 * DEMO_SIZE + 2 * 8, 2 * DEMO_SIZE]);
    // The upscale keeps the img2img's PNG info and says how it was made, as A1111's Extras does.
    const text = readPngTextChunks(readFileSync(first[1]!)).map((c) => `${c.keyword}: ${c.text}`).join('\n');
    assert.match(text, /Postprocess upscaler: ESRGAN-Slim 2x/);
    assert.match(text, /Seed: 1234567/);
    // The built-in model is cached under its content hash.
    assert.deepEqual(readdirSync(join(work, 'cache')).filter((n) => n.startsWith('tiny-sd')).map((n) => /^tiny-sd-[0-9a-f]{12}$/.test(n)), [true]);
  });
});
