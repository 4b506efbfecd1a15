import { img2imgSigmas, samplerSigmas, timestepImg2ImgSigmas, type DiscreteSchedule, type ResolvedSampler } from '../sampling';

export interface SigmaPlan {
  /** The σ list the sampler gets (k-diffusion σ-space). */
  sigmas: Float64Array;
  /** Sampler steps that actually run (the progress total). */
  stepsRun: number;
  /** Timestep samplers in img2img: ᾱ at the timestep the init latent is noised to. */
  alphaEnc?: number;
}

/**
 * Which σ list a job runs: the full schedule (txt2img: no denoising strength) or A1111's img2img truncation
 * (`setup_img2img_steps`), per sampler family.
 */
export function planSigmas(choice: ResolvedSampler, schedule: DiscreteSchedule, steps: number, denoisingStrength: number | undefined, fixSteps: boolean): SigmaPlan {
  const full = (n: number): Float64Array => samplerSigmas(choice.sampler, choice.scheduler, n, schedule);
  if (denoisingStrength === undefined) {
    const sigmas = full(steps);
    return { sigmas, stepsRun: sigmas.length - 1 };
  }
  if (choice.kind === 'timesteps') return timestepImg2ImgSigmas(steps, denoisingStrength, fixSteps, schedule);
  const { sigmas, stepsRun } = img2imgSigmas(full, steps, denoisingStrength, fixSteps);
  return { sigmas, stepsRun };
}
