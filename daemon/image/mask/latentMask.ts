// Masks at latent resolution (A1111 `StableDiffusionProcessingImg2Img.init` for the latent mask,
// `StableDiffusionProcessing.inpainting_image_conditioning` for the 9-channel one).
import type { GrayImage } from './gray';
import { pilResizeGray } from './pilResize';

/** How the processing-size mask becomes the h×w latent mask. */
export type LatentMaskMode = 'bicubic' | 'max';

/**
 * The latent mask `latmask` (1 = generate), h×w floats. `bicubic` is A1111's (PIL bicubic resize, /255, numpy
 * round-half-even when `round`); `max` takes the maximum over each 8×8 block first, so a mask thinner than a
 * latent pixel still reaches the latent.
 */
export function latentMask(m: GrayImage, h: number, w: number, round: boolean, mode: LatentMaskMode = 'bicubic'): Float32Array {
  let small: GrayImage;
  if (mode === 'max') {
    const data = new Uint8Array(h * w);
    const fy = m.height / h;
    const fx = m.width / w;
    for (let by = 0; by < h; by++) {
      const y0 = Math.floor(by * fy);
      const y1 = Math.max(y0 + 1, Math.floor((by + 1) * fy));
      for (let bx = 0; bx < w; bx++) {
        const x0 = Math.floor(bx * fx);
        const x1 = Math.max(x0 + 1, Math.floor((bx + 1) * fx));
        let v = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) v = Math.max(v, m.data[y * m.width + x]!);
        data[by * w + bx] = v;
      }
    }
    small = { data, width: w, height: h };
  } else {
    small = pilResizeGray(m, w, h, 'bicubic');
  }
  const out = new Float32Array(h * w);
  // v/255 is never exactly 0.5 for 8-bit v, so half-to-even and half-up agree here: round means v ≥ 128.
  for (let i = 0; i < out.length; i++) out[i] = round ? (small.data[i]! >= 128 ? 1 : 0) : small.data[i]! / 255;
  return out;
}

/**
 * The 9-channel conditioning mask (`inpainting_image_conditioning`): mask/255 (torch.round when `round`) at full size,
 * then `F.interpolate` nearest to h×w (source index ⌊i·in/out⌋).
 */
export function conditioningMask(m: GrayImage, h: number, w: number, round: boolean): Float32Array {
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(m.height - 1, Math.floor((y * m.height) / h));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(m.width - 1, Math.floor((x * m.width) / w));
      const v = m.data[sy * m.width + sx]! / 255;
      out[y * w + x] = round ? (v >= 0.5 ? 1 : 0) : v;
    }
  }
  return out;
}
