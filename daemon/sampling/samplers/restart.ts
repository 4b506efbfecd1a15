// A1111 modules/sd_samplers_extra.py: restart_sampler (Restart sampling, Xu et al. 2023), s_noise = 1.
import { axpy, checkAbort, lincomb, toD } from '../math';
import { karras } from '../schedules';
import type { Sampler } from './types';

const karrasRange = (n: number, smin: number, smax: number) => karras(n, { sigmas: Float64Array.of(smin, smax) });
const argminAbs = (a: ArrayLike<number>, v: number) => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (Math.abs(a[i]! - v) < Math.abs(a[best]! - v)) best = i;
  return best;
};

/** The (old σ, new σ) step list A1111 builds (≥ 20 steps: Karras re-spaced + restart segments around σ = 0.1 → 2). */
export function restartSteps(sigmasIn: ArrayLike<number>): [number, number][] {
  let sigmas: ArrayLike<number> = sigmasIn;
  const steps = sigmas.length - 1;
  const restartList = new Map<number, [number, number, number]>();
  if (steps >= 20) {
    let restartSteps = 9, restartTimes = 1;
    if (steps >= 36) { restartSteps = Math.floor(steps / 4); restartTimes = 2; }
    sigmas = karrasRange(steps - restartSteps * restartTimes, sigmas[sigmas.length - 2]!, sigmas[0]!);
    restartList.set(argminAbs(sigmas, 0.1), [restartSteps + 1, restartTimes, 2]);
  }
  const list: [number, number][] = [];
  for (let i = 0; i < sigmas.length - 1; i++) {
    list.push([sigmas[i]!, sigmas[i + 1]!]);
    const r = restartList.get(i + 1);
    if (r) {
      let [rSteps, rTimes, rMax] = r;
      const minIdx = i + 1, maxIdx = argminAbs(sigmas, rMax);
      if (maxIdx < minIdx) {
        const sr = karrasRange(rSteps, sigmas[minIdx]!, sigmas[maxIdx]!).subarray(0, rSteps);
        while (rTimes-- > 0) for (let k = 0; k < sr.length - 1; k++) list.push([sr[k]!, sr[k + 1]!]);
      }
    }
  }
  return list;
}

export function restart(o: { sNoise?: number } = {}): Sampler {
  const { sNoise = 1 } = o;
  return async (denoise, x0, sigmas, opts) => {
    const x = x0.slice();
    const d = new Float32Array(x.length), d2 = new Float32Array(x.length), x2 = new Float32Array(x.length);
    let last: number | null = null;
    let stepId = 0;
    for (const [oldS, newS] of restartSteps(sigmas)) {
      checkAbort(opts.signal);
      if (last === null) last = oldS;
      else if (last < oldS) axpy(x, sNoise * Math.sqrt(oldS ** 2 - last ** 2), opts.noise(last, oldS));
      // heun_step
      const den = await denoise(x, oldS);
      toD(d, x, oldS, den);
      opts.onStep?.(stepId++, newS, den);
      const dt = newS - oldS;
      if (newS === 0) {
        axpy(x, dt, d);
      } else {
        lincomb(x2, 1, x, dt, d);
        toD(d2, x2, newS, await denoise(x2, newS));
        lincomb(x, 1, x, dt / 2, d);
        axpy(x, dt / 2, d2);
      }
      last = newS;
    }
    return x;
  };
}
