// The latent mask blend (A1111 `CFGDenoiser.forward` / `apply_blend` in modules/sd_samplers_cfg_denoiser.py): during
// sampling, keep the original where the latent mask says so. k-diffusion samplers blend each call's x₀ prediction;
// timestep samplers (DDIM/PLMS/UniPC) blend the noisy input before the model call (A1111 `mask_before_denoising`);
// after sampling one last blend. Soft inpainting replaces the per-step blend and skips the last one.
import { vpScale, type SamplerKind } from '../sampling';
import { softBlend, type SoftInpaintSettings } from './softInpaint';

export interface LatentBlend {
  /** In place on each call's x₀ prediction (k-diffusion, LCM). */
  blendDenoised?: (denoised: Float32Array, sigma: number) => void;
  /** In place on the sampler's x before each call (timestep samplers; x in σ-space, x̃ = x_VP/√ᾱ). */
  blendInput?: (x: Float32Array, sigma: number) => void;
  /** After sampling, in place: `samples·nmask + init·mask` (nothing with soft inpainting). */
  final: (x: Float32Array) => void;
}

/** `inits[i]` is image i's clean init latent (after masked content), `latmasks[i]` its h×w mask, 1 = generate. */
export function latentBlend(kind: SamplerKind, inits: Float32Array[], latmasks: Float32Array[], soft?: SoftInpaintSettings): LatentBlend {
  const plane = latmasks[0]!.length;
  const per = 4 * plane;
  const linear = (x: Float32Array, initScale: number): void => {
    inits.forEach((init, i) => {
      const o = i * per;
      const latmask = latmasks[i]!;
      for (let k = 0; k < per; k++) {
        const m = latmask[k % plane]!;
        x[o + k] = x[o + k]! * m + init[k]! * initScale * (1 - m);
      }
    });
  };
  const step = soft
    ? (x: Float32Array, sigma: number): void => inits.forEach((init, i) => softBlend(soft, init, x.subarray(i * per, (i + 1) * per), latmasks[i]!, sigma))
    : (x: Float32Array): void => linear(x, 1);
  if (kind === 'timesteps') {
    // A1111 blends x_t (VP space) with the clean init: in σ-space the init is divided by √ᾱ(σ).
    return {
      blendInput: soft ? (x, sigma) => step(x, sigma) : (x, sigma) => linear(x, 1 / vpScale(sigma)),
      final: soft ? () => undefined : (x) => linear(x, 1),
    };
  }
  return { blendDenoised: step, final: soft ? () => undefined : (x) => linear(x, 1) };
}
