import type { SamplerKind } from '../sampling';
import { vpScale } from '../sampling';

/**
 * The sampler's starting latent, in k-diffusion σ-space, as A1111 builds it (`KDiffusionSampler.sample_img2img`,
 * `CompVisSampler.sample_img2img`; docs/a1111-behaviour.md: img2img: steps run and the starting latent):
 * - k-diffusion samplers: x = init + noise·σ₀ (txt2img: init = 0);
 * - timestep samplers (DDIM/PLMS/UniPC) work on x_VP = x̃·√ᾱ: txt2img starts from x_VP = noise; img2img noises
 *   at timesteps[t_enc] (ᾱ_enc) but the first model call is at the next grid point σ₀ — A1111's quirk, kept.
 * Writes into `noise` (n × per) in place and returns it.
 */
export function startLatents(
  noise: Float32Array,
  per: number,
  inits: Array<Float32Array | undefined>,
  sigma0: number,
  kind: SamplerKind,
  alphaEnc?: number,
): Float32Array {
  const timesteps = kind === 'timesteps';
  const toSigmaSpace = timesteps ? 1 / vpScale(sigma0) : 1;
  const a = timesteps && alphaEnc !== undefined ? Math.sqrt(alphaEnc) : 1;
  const b = timesteps && alphaEnc !== undefined ? Math.sqrt(1 - alphaEnc) : timesteps ? 1 : sigma0;
  for (let i = 0; i < inits.length; i++) {
    const init = inits[i];
    const x = noise.subarray(i * per, (i + 1) * per);
    for (let k = 0; k < per; k++) x[k] = ((init ? a * init[k]! : 0) + b * x[k]!) * toSigmaSpace;
  }
  return noise;
}

/** Timestep samplers end on σ_last > 0 in σ-space: the VAE gets x̃·√ᾱ_last. In place. */
export function finishLatents(x: Float32Array, sigmaLast: number, kind: SamplerKind): Float32Array {
  if (kind !== 'timesteps') return x;
  const s = vpScale(sigmaLast);
  for (let k = 0; k < x.length; k++) x[k]! *= s;
  return x;
}
