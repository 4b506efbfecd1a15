import { pipelineBench } from './pipeline';
import { samplersBench } from './samplers';
import { mergeBench } from './merge';
import { upscaleBench } from './upscale';
import { unetBench } from './unet';
import { facesBench } from './faces';
import { toolsBench } from './tools';
import { interrogateBench } from './interrogate';
import { sdxlBench } from './sdxl';
import { e2eBench } from './e2e';
import { memoryBench } from './memory';
import { int8FixturesBench } from './int8Fixtures';
import { loraVariantBench } from './loraVariant';

export interface Bench {
  summary: string;
  /** Run by a plain `npm run bench` (heavy ones are opt-in by name). */
  default: boolean;
  /** `args`: what followed the benchmark names on the command line (`npm run bench -- unet --baseline DIR`). */
  run(args: string[]): Promise<void>;
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
  e2e: e2eBench,
  memory: memoryBench,
  'int8-fixtures': int8FixturesBench,
  lora: loraVariantBench,
  // <benches>
};
