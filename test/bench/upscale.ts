// Upscaler figures: PSNR of (Lanczos ↓4, model ↑4) and (Lanczos ↓4, Lanczos ↑4) against a real photo,
// tile timings, and the peak RSS of a 2048×2048 ×4 tiled upscale (SD_STUDIO_BENCH_BIG=0 skips that one).
// Writes the upscaled crops to $SD_STUDIO_BENCH_OUT (default /tmp/sd-studio-bench-upscale) for looking at.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadImage } from '../../daemon/image/decode';
import { encodePng, resizeRgb } from '../../daemon/image/encode';
import type { RgbImage } from '../../daemon/image/rgbImage';
import { SessionPool } from '../../models/sessions';
import { UpscalerModels } from '../../daemon/parts/upscaler';
import { upscaleTiled } from '../../daemon/image/tiles';
import { builtinModelsDir } from '../../daemon/extras/upscalerRegistry';
import { sharedPath } from '../sharedPath';
import type { Bench } from './registry';

function psnr(a: RgbImage, b: RgbImage): number {
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i]! - b.data[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.data.length));
}

function crop(img: RgbImage, w: number, h: number): RgbImage {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(y * img.width * 3, (y * img.width + w) * 3), y * w * 3);
  return { data: out, width: w, height: h };
}

export const upscaleBench: Bench = {
  summary: 'PSNR model vs Lanczos on a real photo (×4), tile timings, peak RSS of a 2048² ×4 tiled upscale',
  default: false,
  async run() {
    const outDir = process.env.SD_STUDIO_BENCH_OUT ?? '/tmp/sd-studio-bench-upscale';
    mkdirSync(outDir, { recursive: true });
    const models = new UpscalerModels(new SessionPool({ provider: 'cpu', threads: 0 }, (m) => console.warn(m)));
    const slim = join(builtinModelsDir()!, 'x4', 'model.json');
    const net = await models.get(slim);
    const photo = await loadImage(sharedPath('models-fixtures/face-detector-ulfd/test-photo-two-faces.jpg'), 'photo');
    const orig = crop(photo, photo.width - (photo.width % 4), photo.height - (photo.height % 4));
    const small = await resizeRgb(orig, orig.width / 4, orig.height / 4);
    const lanczosUp = await resizeRgb(small, orig.width, orig.height);
    const times: number[] = [];
    let last = performance.now();
    const t0 = last;
    const modelUp = await upscaleTiled(small, net, { tileSize: 192, overlap: 8, onTile: () => { const now = performance.now(); times.push(now - last); last = now; } });
    console.log(`photo ${orig.width}×${orig.height}, input ${small.width}×${small.height}`);
    console.log(`PSNR Lanczos↓4 → ESRGAN-Slim 4x: ${psnr(orig, modelUp).toFixed(2)} dB`);
    console.log(`PSNR Lanczos↓4 → Lanczos↑4:      ${psnr(orig, lanczosUp).toFixed(2)} dB`);
    console.log(`model upscale ${(performance.now() - t0).toFixed(0)} ms, ${times.length} tiles, mean ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(0)} ms/tile`);
    writeFileSync(join(outDir, 'photo-model-x4.png'), await encodePng(modelUp));
    writeFileSync(join(outDir, 'photo-lanczos-x4.png'), await encodePng(lanczosUp));
    // Seam check: small tiles over the photo so several seams cross the faces.
    const seams = await upscaleTiled(small, net, { tileSize: 48, overlap: 8 });
    writeFileSync(join(outDir, 'photo-model-x4-tile48.png'), await encodePng(seams));
    let worst = 0;
    for (let i = 0; i < seams.data.length; i++) worst = Math.max(worst, Math.abs(seams.data[i]! - modelUp.data[i]!));
    console.log(`tile 48 vs tile 192 output: max |diff| ${worst} grey levels`);

    if (process.env.SD_STUDIO_BENCH_BIG !== '0') {
      const side = Number(process.env.SD_STUDIO_BENCH_SIDE ?? 2048);
      const big = await resizeRgb(photo, side, side);
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const t1 = performance.now();
      let n = 0;
      const up = await upscaleTiled(big, net, { tileSize: 192, overlap: 8, onTile: (d, t) => { n = t; peak = Math.max(peak, process.memoryUsage().rss); if (d % 20 === 0) console.log(`  tile ${d}/${t}`); } });
      clearInterval(timer);
      console.log(`${side}×${side} ×4 → ${up.width}×${up.height}: ${((performance.now() - t1) / 1000).toFixed(1)} s, ${n} tiles`);
      console.log(`RSS before ${(rss0 / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB (output image alone ${(up.data.length / 2 ** 20).toFixed(0)} MiB)`);
    }
    await models.dispose();
  },
};
