/** The model's prediction of x₀ at σ: an array of x's length (the samplers' loops index both with one bound). */
export type Denoise = (x: Float32Array, sigma: number) => Promise<Float32Array>;

export interface SamplerOptions {
  /** Next N(0,1) tensor of x's size; called in k-diffusion's order (ancestral: noise_sampler(σ, σ_next)). */
  noise: (sigma: number, sigmaNext: number) => Float32Array;
  /**
   * The unconditional prediction of x₀ made by the last `denoise` call (A1111 CFGDenoiser `last_noise_uncond`,
   * as x₀); absent without CFG. CFG++ samplers step along it.
   */
  uncondDenoised?: () => Float32Array;
  signal?: AbortSignal;
  onStep?: (i: number, sigma: number, denoised: Float32Array) => void;
}

/** `sigmas`: the schedule from σ_start to σ_end, at least two entries (stages/denoise gets it from samplerSigmas). */
export type Sampler = (denoise: Denoise, x: Float32Array, sigmas: ArrayLike<number>, opts: SamplerOptions) => Promise<Float32Array>;
