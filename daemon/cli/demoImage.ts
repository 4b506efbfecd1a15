import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeNewFileSync } from '../../models/formats/atomicFile';

/**
 * The demo's source picture, drawn in code (no binary asset, no download): a dusk sky gradient, a sun, hills.
 * Deterministic, so two demo runs start from the same bytes.
 */
export async function drawDemoImage(width: number, height: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  const sunX = width * 0.68, sunY = height * 0.38, sunR = Math.min(width, height) * 0.12;
  for (let y = 0; y < height; y++) {
    const t = y / (height - 1);
    for (let x = 0; x < width; x++) {
      let r = 40 + 200 * t, g = 30 + 110 * t, b = 110 - 40 * t;
      const dx = x - sunX, dy = y - sunY;
      if (dx * dx + dy * dy < sunR * sunR) { r = 255; g = 214; b = 120; }
      const hill = height * (0.72 + 0.06 * Math.sin((x / width) * Math.PI * 3));
      if (y > hill) { r = 30 + 20 * t; g = 70 + 40 * t; b = 45; }
      const i = (y * width + x) * 3;
      data[i] = r; data[i + 1] = g; data[i + 2] = b;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer();
}

const GAP = 8;

/**
 * The pictures in a row, each scaled (Lanczos) to the height of the tallest, so an upscaled result shows its own
 * pixels beside its smaller sources; a dark gap between them.
 */
export async function sideBySide(files: string[]): Promise<Buffer> {
  const metas = await Promise.all(files.map((f) => sharp(f).metadata()));
  const height = Math.max(...metas.map((m) => m.height ?? 0));
  const panels = await Promise.all(
    files.map((f, i) => {
      const m = metas[i]!;
      const width = Math.round(((m.width ?? 0) * height) / (m.height ?? 1));
      return sharp(f).removeAlpha().resize(width, height, { kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
    }),
  );
  let left = 0;
  const layers = panels.map(({ data, info }) => {
    const layer = { input: data, raw: { width: info.width, height: info.height, channels: info.channels }, left, top: 0 };
    left += info.width + GAP;
    return layer;
  });
  return sharp({ create: { width: left - GAP, height, channels: 3, background: { r: 24, g: 24, b: 28 } } })
    .composite(layers)
    .png({ compressionLevel: 9, adaptiveFiltering: false })
    .toBuffer();
}

/** Writes `bytes` as `<dir>/NNNNN-<name>.png`, the next free number (A1111's numbering); never replaces a file. */
export function writeNumberedPng(dir: string, name: string, bytes: Uint8Array): string {
  for (;;) {
    let next = 0;
    try {
      for (const f of readdirSync(dir)) {
        const n = /^(\d+)-/.exec(f);
        if (n) next = Math.max(next, Number(n[1]) + 1);
      }
    } catch {
      // no folder yet: writeNewFileSync creates it
    }
    const path = join(dir, `${String(next).padStart(5, '0')}-${name}.png`);
    if (writeNewFileSync(path, bytes)) return path;
  }
}
