// Writes what the e2e workspace needs: the tiny SD model (models/testModel/tinySd.ts), a source image, and a
// .sdprompt file. Bundled and run by e2e.mjs: node fixtures.js <workspace>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { writeTinySdModel } from '../../models/testModel/tinySd';

async function main(): Promise<void> {
  const ws = process.argv[2];
  if (!ws) throw new Error('usage: fixtures.js <workspace>');
  await writeTinySdModel(join(ws, 'models', 'tiny-sd'));
  // a 64×64 gradient with a square, so previews and masks are visible in screenshots
  const png = new PNG({ width: 64, height: 64 });
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const i = (y * 64 + x) * 4;
      const inside = x > 20 && x < 44 && y > 20 && y < 44;
      png.data[i] = inside ? 230 : x * 4;
      png.data[i + 1] = inside ? 120 : y * 4;
      png.data[i + 2] = inside ? 40 : 160;
      png.data[i + 3] = 255;
    }
  }
  mkdirSync(join(ws, 'images'), { recursive: true });
  writeFileSync(join(ws, 'images', 'source.png'), PNG.sync.write(png));
  writeFileSync(join(ws, 'scene.sdprompt'), [
    '# e2e spec',
    'a red square on a gradient, (masterpiece:1.2)',
    'Negative prompt: blurry',
    'Steps: 2, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 64x64',
    '',
  ].join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
