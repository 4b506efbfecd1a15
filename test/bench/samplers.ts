// Time per step of each sampler's own arithmetic on a 1×4×128×128 latent with a zero-cost denoiser
// (returns a preallocated buffer) and a zero-cost noise source, so only the sampler's maths is timed.
import type { Bench } from './registry';
import { samplers, discreteSchedule, SD_DISCRETE, schedules } from '../../daemon/sampling';

const SIZE = 4 * 128 * 128;
const STEPS = 20;

export const samplersBench: Bench = {
  summary: `per-step cost of each sampler's arithmetic (1×4×128×128, ${STEPS} Karras steps, zero-cost denoiser)`,
  default: true,
  async run() {
    const sig = schedules.Karras!(STEPS, discreteSchedule(SD_DISCRETE));
    const out = new Float32Array(SIZE).fill(0.1);
    const noise = new Float32Array(SIZE).fill(0.01);
    const x0 = new Float32Array(SIZE).map((_, i) => Math.sin(i) * 14);
    for (const [name, sampler] of Object.entries(samplers)) {
      let nfe = 0;
      const denoise = async () => { nfe++; return out; };
      const sigmas = name === 'UniPC' ? sig.subarray(0, STEPS) : sig;
      await sampler(denoise, x0, sigmas, { noise: () => noise }); // warm-up
      const reps = 5;
      nfe = 0;
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) await sampler(denoise, x0, sigmas, { noise: () => noise });
      const ms = (performance.now() - t0) / reps;
      const steps = sigmas.length - 1;
      console.log(`${name.padEnd(18)} ${(ms / steps).toFixed(3).padStart(8)} ms/step  ${(ms / (nfe / reps)).toFixed(3).padStart(8)} ms/model call  (${steps} steps, ${nfe / reps} calls)`);
    }
  },
};
