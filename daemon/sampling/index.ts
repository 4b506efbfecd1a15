// Public API of daemon/sampling. `samplers`, `schedules` and `createRng` keep their exact signatures: checks outside
// this repository call them. The rest are the helpers the pipelines use.
import type { Sampler } from './samplers/types';
import { euler } from './samplers/euler';
import { eulerAncestral } from './samplers/eulerAncestral';
import { dpmpp2m } from './samplers/dpmpp2m';
import { lms } from './samplers/lms';
import { heun } from './samplers/heun';
import { dpm2 } from './samplers/dpm2';
import { dpm2Ancestral } from './samplers/dpm2Ancestral';
import { dpmpp2sAncestral } from './samplers/dpmpp2sAncestral';
import { dpmppSde } from './samplers/dpmppSde';
import { dpmpp2mSde } from './samplers/dpmpp2mSde';
import { dpmpp3mSde } from './samplers/dpmpp3mSde';
import { dpmAdaptive, dpmFast } from './samplers/dpmSolver';
import { restart } from './samplers/restart';
import { ddim } from './samplers/ddim';
import { plms } from './samplers/plms';
import { unipc } from './samplers/unipc';
import { lcm } from './samplers/lcm';

export type { Sampler, SamplerOptions, Denoise } from './samplers/types';
export { createRng, type Rng, type RngSource } from './rng';
export { discreteSchedule, fromSigmas, SD_DISCRETE, type DiscreteConfig, type DiscreteSchedule } from './discrete';
export { schedules, schedulerNames, type ScheduleModel } from './schedules';
export type SamplerKind = import('./catalog').ResolvedSampler['kind'];
export { samplerCatalog, samplerNames, samplerInfo, resolveSampler, type ResolvedSampler, type SamplerInfo } from './catalog';
export { samplerSigmas, img2imgSigmas } from './samplerSigmas';
export { timestepSigmas, a1111Timesteps, unipcSigmas, lcmModel, vpScale, timestepImg2ImgSigmas } from './timesteps';
export { denoisedFrom, makeDenoiser, makeLcmDenoiser, type ModelFn } from './denoiser';
export { createImageNoise, slerp, type ImageNoiseOptions } from './noise';
export { createBrownianNoise } from './brownian';

/** Keyed by A1111 display name (catalog order), each with A1111's default options. */
export const samplers: Record<string, Sampler> = {
  'DPM++ 2M': dpmpp2m,
  'DPM++ SDE': dpmppSde(),
  'DPM++ 2M SDE': dpmpp2mSde(),
  'DPM++ 2M SDE Heun': dpmpp2mSde({ solver: 'heun' }),
  'DPM++ 2S a': dpmpp2sAncestral(),
  'DPM++ 3M SDE': dpmpp3mSde(),
  'Euler a': eulerAncestral(),
  Euler: euler(),
  LMS: lms(),
  Heun: heun(),
  DPM2: dpm2(),
  'DPM2 a': dpm2Ancestral(),
  'DPM fast': dpmFast(),
  'DPM adaptive': dpmAdaptive(),
  Restart: restart(),
  DDIM: ddim(),
  'DDIM CFG++': ddim({ cfgpp: true }),
  PLMS: plms,
  UniPC: unipc(),
  LCM: lcm,
};

/** Factories for non-default options (eta, s_noise, s_churn, solver order...). */
export const samplerFactories = { euler, eulerAncestral, lms, heun, dpm2, dpm2Ancestral, dpmpp2sAncestral, dpmppSde, dpmpp2mSde,
  dpmpp3mSde, dpmFast, dpmAdaptive, restart, ddim, unipc };
