// ms per UNet call and the pipeline's own overhead per sampler step (everything that is not a model run),
// for a 64×64×4 latent (512 px), measured on the tiny generated model.
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeTinySdModel, type TinySdVariant } from '../../models/testModel/tinySd';
import { testModelManager } from '../fixtures/testServices';
import { PromptEncoder } from '../../daemon/stages/encodePrompt';
import { denoise } from '../../daemon/stages/denoise';
import { cheapPreviewPng } from '../../daemon/stages/preview';
import { createRng, discreteSchedule, samplers, samplerSigmas } from '../../daemon/sampling';
import type { Bench } from './registry';

// Measured here: an fp32 UNet exported from the original PyTorch code, 512 px, CFG batch 2, on the 2-core machine.
const REAL_SD15_UNET_STEP_MS = 8300;

async function measure(label: string, variant: Partial<TinySdVariant>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sd-bench-'));
  try {
    await writeTinySdModel(join(dir, 'm'), variant);
    const models = testModelManager(0);
    const model = await models.get(join(dir, 'm'));
    const schedule = discreteSchedule(model.layout.scheduler);
    const prompts = new PromptEncoder(model);
    const cond = await prompts.encode('a lighthouse at dusk');
    const uncond = await prompts.encode('');
    let unetMs = 0;
    let unetCalls = 0;
    const predict = model.unet.predict.bind(model.unet);
    model.unet.predict = async (...args) => {
      const t0 = performance.now();
      const r = await predict(...args);
      unetMs += performance.now() - t0;
      unetCalls++;
      return r;
    };
    const steps = 20;
    const h = 64, w = 64;
    const rng = createRng('gpu', 1);
    const run = async (): Promise<number> => {
      const sigmas = samplerSigmas('Euler a', 'Automatic', steps, schedule);
      const x = rng.randn([1, 4, h, w]);
      for (let i = 0; i < x.length; i++) x[i]! *= sigmas[0]!;
      const t0 = performance.now();
      await denoise({
        model, schedule, kind: 'k-diffusion', conditioning: () => ({ conds: [{ cond, weight: 1 }], uncond }), cfgScale: 7, x, n: 1, h, w, sigmas, sampler: samplers['Euler a']!,
        noise: () => rng.randn([1, 4, h, w]), signal: new AbortController().signal,
        onStep: (_i, d) => void (_i % 10 === 9 && cheapPreviewPng(d, h, w)),
      });
      return performance.now() - t0;
    };
    await run(); // warm-up: first ORT calls allocate
    unetMs = 0;
    unetCalls = 0;
    const total = await run();
    const perStep = total / steps;
    const unetPerCall = unetMs / unetCalls;
    const overhead = (total - unetMs) / steps;
    console.log(`${label}: ${unetCalls / steps} UNet call(s)/step (cond+uncond batch), ${unetPerCall.toFixed(2)} ms per UNet call (tiny model), step ${perStep.toFixed(2)} ms`);
    console.log(`  pipeline overhead per step (sampler, CFG, conversions, previews): ${overhead.toFixed(3)} ms = ${((overhead / REAL_SD15_UNET_STEP_MS) * 100).toFixed(4)} % of a real SD1.5 512 px UNet step (${REAL_SD15_UNET_STEP_MS} ms here)`);
    await models.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const pipelineBench: Bench = {
  summary: 'ms per UNet call and pipeline overhead per step, 64×64×4 latent',
  default: true,
  async run() {
    await measure('fp32 model, dynamic batch', {});
    await measure('fp16 model (conversion at the boundary)', { precision: 'fp16', timestepType: 'float16' });
    await measure('UNet batch fixed at 1 (two calls per step)', { unetBatch: 'fixed1' });
  },
};
