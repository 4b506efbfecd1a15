// Figures for A1111's everyday tools: the hires fix's latent upscale (a 512² image's 4×64×64 latent to 1024²,
// every latent mode), drawing an X/Y/Z legend grid of 3×3 cells of 512², and saving it as PNG / JPEG / WebP.
import { performance } from 'node:perf_hooks';
import { drawGridAnnotations } from '../../daemon/image/gridAnnotations';
import { imageGrid } from '../../daemon/image/grid';
import { interpolate } from '../../daemon/image/interpolate';
import type { RgbImage } from '../../daemon/image/rgbImage';
import { imageFileBytes } from '../../daemon/output/writeImage';
import { LATENT_UPSCALE_MODES } from '../../daemon/validate';
import type { Bench } from './registry';

async function timed(label: string, n: number, f: () => unknown): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} min ${ms[0]!.toFixed(1)} ms · median ${ms[Math.floor(n / 2)]!.toFixed(1)} ms (${n} runs)`);
}

export const toolsBench: Bench = {
  summary: 'hires latent upscale per mode, X/Y/Z legend grid of 3×3 × 512², grid saved as PNG / JPEG / WebP',
  default: true,
  async run() {
    const latent = Float32Array.from({ length: 4 * 64 * 64 }, (_, i) => Math.sin(i * 0.37));
    for (const [name, m] of Object.entries(LATENT_UPSCALE_MODES)) await timed(`hires ${name} 64² → 128²`, 20, () => interpolate(latent, 4, 64, 64, 128, 128, m.mode, m.antialias));
    const cell = (k: number): RgbImage => ({ data: Uint8Array.from({ length: 512 * 512 * 3 }, (_, i) => (i * (k + 3)) & 255), width: 512, height: 512 });
    const grid = imageGrid(Array.from({ length: 9 }, (_, k) => cell(k)), 3);
    const label = (t: string) => [{ text: t }];
    let drawn: RgbImage = grid;
    await timed('X/Y/Z legend grid 3×3 × 512²', 5, async () => {
      drawn = await drawGridAnnotations(grid, 512, 512, [label('Steps: 10'), label('Steps: 20'), label('Steps: 30')], [label('Euler a'), label('DPM++ 2M'), label('DPM++ SDE Karras')]);
    });
    for (const f of ['png', 'jpg', 'webp'] as const) await timed(`save ${drawn.width}×${drawn.height} grid as ${f}`, 3, () => imageFileBytes(drawn, 'a cat\nSteps: 20, Sampler: Euler a', f, { quality: 80, webpLossless: false }));
  },
};
