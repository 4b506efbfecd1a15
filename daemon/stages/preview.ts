import { PNG } from 'pngjs';

/**
 * A1111's "Approx cheap" live preview: a fixed 4×3 linear map per latent pixel (reference §12), giving an RGB
 * image at 1/8 of the output size. Rows are latent channels; columns R, G, B.
 */
const FACTORS = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
] as const;

/** One latent (4×h×w, as the sampler holds it) → RGBA bytes, h×w. */
export function latentToRgbaCheap(latent: Float32Array, h: number, w: number): Uint8Array {
  const plane = h * w;
  const out = new Uint8Array(plane * 4);
  for (let i = 0; i < plane; i++) {
    const l0 = latent[i]!, l1 = latent[plane + i]!, l2 = latent[2 * plane + i]!, l3 = latent[3 * plane + i]!;
    for (let c = 0; c < 3; c++) {
      const v = l0 * FACTORS[0][c]! + l1 * FACTORS[1][c]! + l2 * FACTORS[2][c]! + l3 * FACTORS[3][c]!;
      const u = (v + 1) / 2;
      out[i * 4 + c] = u <= 0 ? 0 : u >= 1 ? 255 : Math.round(u * 255);
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Cheap preview as PNG base64 (small: 64×64 for a 512 px image), ready for a notification. */
export function cheapPreviewPng(latent: Float32Array, h: number, w: number): string {
  const png = new PNG({ width: w, height: h });
  png.data = Buffer.from(latentToRgbaCheap(latent, h, w));
  return PNG.sync.write(png).toString('base64');
}
