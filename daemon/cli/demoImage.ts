import sharp from 'sharp';

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
