// Masked content (A1111 `inpainting_fill` in `StableDiffusionProcessingImg2Img.init`, `modules/masking.py: fill`): what
// the masked area starts from. "fill" works on pixels before encoding; "latent noise" and "latent nothing" on the
// encoded latent; "original" leaves both alone.

/** A1111 `inpainting_fill`: 0 fill, 1 original, 2 latent noise, 3 latent nothing. */
export type InpaintingFill = 0 | 1 | 2 | 3;
export const MASKED_CONTENT_NAMES = ['fill', 'original', 'latent noise', 'latent nothing'] as const;

/**
 * Latent masked content, one image: "latent noise" = init·(1 − m) + noise·m, "latent nothing" = init·(1 − m).
 * `latmask` is h×w (1 = generate), broadcast over the 4 channels. Returns a new array.
 */
export function applyLatentContent(fill: InpaintingFill, init: Float32Array, latmask: Float32Array, noise?: Float32Array): Float32Array {
  const out = init.slice();
  if (fill !== 2 && fill !== 3) return out;
  const plane = latmask.length;
  for (let k = 0; k < out.length; k++) {
    const m = latmask[k % plane]!;
    out[k] = out[k]! * (1 - m) + (fill === 2 ? noise![k]! * m : 0);
  }
  return out;
}

/** A1111 `initial_noise_multiplier` (img2img only): the starting noise scaled, in place. */
export function scaleInitialNoise(noise: Float32Array, multiplier: number): Float32Array {
  if (multiplier !== 1) for (let k = 0; k < noise.length; k++) noise[k]! *= multiplier;
  return noise;
}
