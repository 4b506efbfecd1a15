import { planarToRgb, type RgbImage } from '../image/rgbImage';
import type { SdModel } from '../parts/sdModel';

/** Decode each latent of a batch (n × 4 × h × w) to RGB, one VAE call per image (bounded memory). */
export async function decodeLatents(model: SdModel, x: Float32Array, n: number, h: number, w: number): Promise<RgbImage[]> {
  const per = 4 * h * w;
  const out: RgbImage[] = [];
  for (let i = 0; i < n; i++) {
    const { image, height, width } = await model.vaeDecoder.decode(x.subarray(i * per, (i + 1) * per), h, w);
    out.push(planarToRgb(image, width, height));
  }
  return out;
}
