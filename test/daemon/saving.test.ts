// A1111's saving options and styles through the daemon on the tiny model: output formats with their infotext,
// .txt sidecars, styles.csv, img2img colour correction.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { writeTinySdModel } from '../../models/testModel/tinySd';
import { startDaemon, tempDir, type TestDaemon } from './harness';

const work = tempDir();
const modelDir = join(work, 'tiny');
const root = join(work, 'a1111');
let daemon: TestDaemon;

before(async () => {
  await writeTinySdModel(modelDir);
  mkdirSync(join(root, 'models'), { recursive: true });
  writeFileSync(join(root, 'styles.csv'), '\uFEFFname,prompt,negative_prompt\r\nFilm,"analog film photo of {prompt}, grain",blurry\r\nWarm,"warm light, golden hour",\r\n');
  daemon = await startDaemon({ model: modelDir, modelsRoot: join(root, 'models'), previewEvery: 0 });
});
after(async () => {
  await daemon?.stop();
});

const base = { prompt: 'a lighthouse', negative_prompt: 'fog', sampler_name: 'Euler', steps: 3, seed: 11, width: 64, height: 64 };

describe('saving options', () => {
  it('png, jpg at a quality, lossless webp: each carries the infotext our reader reads back; a .txt sidecar holds it too', async () => {
    const outdir = join(work, 'formats');
    const png = (await daemon.request('sd/img2img', { ...base, outdir })).images[0]!;
    const jpg = (await daemon.request('sd/img2img', { ...base, outdir, override_settings: { samples_format: 'jpg', jpeg_quality: 90, save_txt: true } })).images[0]!;
    const webp = (await daemon.request('sd/img2img', { ...base, outdir, override_settings: { samples_format: 'webp', webp_lossless: true } })).images[0]!;
    assert.match(jpg.path!, /\.jpg$/);
    assert.match(webp.path!, /\.webp$/);
    assert.equal((await sharp(jpg.path!).metadata()).format, 'jpeg');
    assert.equal((await sharp(webp.path!).metadata()).format, 'webp');
    const read = await daemon.request('sd/pngInfo.read', { files: [png.path!, jpg.path!, webp.path!] });
    for (const [i, info] of read.infos.entries()) {
      assert.equal(info.infotext, png.infotext, `file ${i}`);
      assert.equal(read.infotexts[i], png.infotext, `file ${i}: the infotext "Copy infotext" gives`);
      assert.equal(info.format, 'a1111');
    }
    assert.equal(read.infos[1]!.source, 'EXIF:UserComment');
    assert.equal(read.infos[1]!.container, 'jpeg');
    // Lossless WebP decodes to exactly the PNG's pixels; the JPEG is close but not equal.
    const [a, b, c] = await Promise.all([png.path!, webp.path!, jpg.path!].map((f) => sharp(f).removeAlpha().raw().toBuffer()));
    assert.ok(a!.equals(b!));
    assert.ok(!a!.equals(c!));
    const sidecar = jpg.path!.replace(/\.jpg$/, '.txt');
    assert.equal(readFileSync(sidecar, 'utf8'), `${jpg.infotext}\n`);
    assert.ok(!existsSync(png.path!.replace(/\.png$/, '.txt')));
    await assert.rejects(daemon.request('sd/img2img', { ...base, outdir, override_settings: { samples_format: 'gif' as 'png' } }),
      (e: { data?: { field?: string } }) => e.data?.field === 'override_settings.samples_format');
  });

  it('styles from the install\'s styles.csv: {prompt} wraps the prompt, others append; an unknown style names the file', async () => {
    const r = await daemon.request('sd/img2img', { ...base, styles: ['Film', 'Warm'], save_images: false });
    const text = r.images[0]!.infotext;
    assert.ok(text.startsWith('analog film photo of a lighthouse, grain, warm light, golden hour\nNegative prompt: fog, blurry\n'), text);
    await assert.rejects(daemon.request('sd/img2img', { ...base, styles: ['Nope'], save_images: false }),
      (e: { message: string; data?: { field?: string } }) => e.data?.field === 'styles' && e.message.includes('styles.csv') && e.message.includes('Film'));
    const listed = await daemon.request('sd/styles.list', {});
    assert.deepEqual(listed.styles.map((s) => s.name), ['Film', 'Warm']);
  });

  it('img2img colour correction pulls the result\'s colours to the init image\'s', async () => {
    const init = join(work, 'red.png');
    const px = Buffer.alloc(64 * 64 * 3);
    for (let i = 0; i < px.length; i += 3) Object.assign(px, { [i]: 200 + (i % 40), [i + 1]: 40 + (i % 30), [i + 2]: 30 });
    await sharp(px, { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(init);
    const run = (cc: boolean) => daemon.request('sd/img2img', { ...base, init_images: [init], denoising_strength: 0.95, save_images: false, send_images: true, override_settings: { img2img_color_correction: cc } });
    const [plain, corrected] = await Promise.all([run(false), run(true)]);
    const mean = async (b64: string): Promise<number[]> => {
      const raw = await sharp(Buffer.from(b64, 'base64')).removeAlpha().raw().toBuffer();
      const m = [0, 0, 0];
      for (let i = 0; i < raw.length; i++) m[i % 3]! += raw[i]! / (raw.length / 3);
      return m;
    };
    const target = [0, 0, 0];
    for (let i = 0; i < px.length; i++) target[i % 3]! += px[i]! / (px.length / 3);
    // A1111 matches the colours and keeps the generated image's luminosity (blendLayers LUMINOSITY): compare chroma,
    // as opponent channels R−G and G−B.
    const chromaDist = (m: number[]): number => Math.hypot(m[0]! - m[1]! - (target[0]! - target[1]!), m[1]! - m[2]! - (target[1]! - target[2]!));
    const [mp, mc] = await Promise.all([mean(plain.images[0]!.png!), mean(corrected.images[0]!.png!)]);
    assert.ok(chromaDist(mc) < chromaDist(mp) * 0.7, `corrected mean ${mc.map(Math.round)} vs plain ${mp.map(Math.round)} (init ≈ ${target.map(Math.round)})`);
    assert.ok(mc[0]! > mc[1]! + 30 && mc[0]! > mc[2]! + 30, 'the correction keeps the init image\'s red cast');
  });
});
