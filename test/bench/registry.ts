import { pipelineBench } from './pipeline';
import { samplersBench } from './samplers';
import { mergeBench } from './merge';
import { upscaleBench } from './upscale';
import { unetBench } from './unet';
import { facesBench } from './faces';
import { toolsBench } from './tools';
import { interrogateBench } from './interrogate';
import { sdxlBench } from './sdxl';

export interface Bench {
  summary: string;
  /** Run by a plain `npm run bench` (heavy ones are opt-in by name). */
  default: boolean;
  run(): Promise<void>;
}

/** One line per benchmark; each lives in its own file. */
export const benches: Record<string, Bench> = {
  pipeline: pipelineBench,
  merge: mergeBench,
  samplers: samplersBench,
  upscale: upscaleBench,
  unet: unetBench,
  faces: facesBench,
  tools: toolsBench,
  interrogate: interrogateBench,
  sdxl: sdxlBench,
  // <benches>
};
