// Turning an eps / v network into a k-diffusion denoiser (k_diffusion/external.py: CompVisDenoiser,
// CompVisVDenoiser): the sampler sees D(x, σ) = predicted clean sample.

export type ModelFn = (xScaled: Float32Array, t: number, sigma: number) => Promise<Float32Array>;
export type Denoise = (x: Float32Array, sigma: number) => Promise<Float32Array>;

/**
 * epsilon: c_in = 1/sqrt(σ²+1), D = x − σ·eps(x·c_in, t(σ)).
 * v_prediction: c_skip = 1/(σ²+1), c_out = −σ/sqrt(σ²+1), c_in = 1/sqrt(σ²+1), D = c_skip·x + c_out·v.
 * t = sigmaToT(σ), fractional (A1111 runs with quantize off).
 */
export function makeDenoiser(schedule: { sigmaToT(s: number): number }, prediction: 'epsilon' | 'v_prediction', model: ModelFn): Denoise {
  return async (x, sigma) => {
    const cIn = 1 / Math.sqrt(sigma * sigma + 1);
    const xin = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) xin[i] = x[i]! * cIn;
    return denoisedFrom(prediction, x, sigma, await model(xin, schedule.sigmaToT(sigma), sigma));
  };
}

/** D(x, σ) from the network's output at (x·c_in, t(σ)): eps or v, as makeDenoiser turns it. */
export function denoisedFrom(prediction: 'epsilon' | 'v_prediction', x: Float32Array, sigma: number, out: Float32Array): Float32Array {
  const d = new Float32Array(x.length);
  if (prediction === 'epsilon') {
    for (let i = 0; i < x.length; i++) d[i] = x[i]! - sigma * out[i]!;
  } else {
    const cSkip = 1 / (sigma * sigma + 1), cOut = -sigma * (1 / Math.sqrt(sigma * sigma + 1));
    for (let i = 0; i < x.length; i++) d[i] = cSkip * x[i]! + cOut * out[i]!;
  }
  return d;
}

/**
 * A1111 LCMCompVisDenoiser: t = nearest of the 50 LCM timesteps (19, 39, ..., 999), x0 = x − σ·eps, then the
 * LCM boundary condition with sigma_data 0.5 and scaled t = 10·t: D = c_skip·x + c_out·x0.
 */
export function makeLcmDenoiser(lcmSigmas: Float64Array, model: ModelFn, skip = 20): Denoise {
  const logs = lcmSigmas.map(Math.log);
  return async (x, sigma) => {
    const ls = Math.log(sigma);
    let best = 0;
    for (let i = 1; i < logs.length; i++) if (Math.abs(ls - logs[i]!) < Math.abs(ls - logs[best]!)) best = i;
    const t = best * skip + (skip - 1);
    const cIn = 1 / Math.sqrt(sigma * sigma + 1);
    const xin = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) xin[i] = x[i]! * cIn;
    const eps = await model(xin, t, sigma);
    const st = t * 10, cSkip = 0.25 / (st * st + 0.25), cOut = st / Math.sqrt(st * st + 0.25);
    const d = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) d[i] = cOut * (x[i]! - sigma * eps[i]!) + cSkip * x[i]!;
    return d;
  };
}
