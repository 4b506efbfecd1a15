// One prepared check of the GPU execution-provider path, for a lent GPU machine (not a test: CI has no GPU).
// For each provider: build the tiny model, load it through ModelManager with that provider (fallback to CPU
// must be announced), run txt2img-style sampling through the real denoise stage, and compare with CPU.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinySdModel } from '../../models/testModel/tinySd';
import { testModelManager } from '../fixtures/testServices';
import { PromptEncoder } from '../../daemon/stages/encodePrompt';
import { denoise } from '../../daemon/stages/denoise';
import { createRng, discreteSchedule, samplers, samplerSigmas } from '../../daemon/sampling';
import { availableProviders, type ExecutionProvider } from '../../models/sessions';

async function sample(dir: string, provider: ExecutionProvider, size: number): Promise<{ out: Float32Array; ms: number; warnings: string[]; ran: string }> {
  const warnings: string[] = [];
  const models = testModelManager(0, provider, (m) => warnings.push(m));
  const model = await models.get(dir);
  const schedule = discreteSchedule(model.layout.scheduler);
  const prompts = new PromptEncoder(model);
  const cond = await prompts.encode('a lighthouse at dusk');
  const uncond = await prompts.encode('');
  const h = size / 8, w = size / 8;
  const sigmas = samplerSigmas('Euler', 'Karras', 10, schedule);
  const rng = createRng('gpu', 7);
  const x = rng.randn([1, 4, h, w]);
  for (let i = 0; i < x.length; i++) x[i]! *= sigmas[0]!;
  const t0 = performance.now();
  const out = await denoise({
    model, schedule, kind: 'k-diffusion', conditioning: () => ({ conds: [{ cond, weight: 1 }], uncond }), cfgScale: 7, x, n: 1, h, w, sigmas,
    sampler: samplers['Euler']!, noise: () => rng.randn([1, 4, h, w]), signal: new AbortController().signal, onStep: () => undefined,
  });
  const ms = performance.now() - t0;
  const dec = await model.vaeDecoder.decode(out, h, w);
  await models.dispose();
  return { out: dec.image, ms, warnings, ran: warnings.length ? 'cpu (fallback)' : provider };
}

async function main(): Promise<void> {
  console.log('onnxruntime-node backends:', JSON.stringify(availableProviders()));
  const dir = mkdtempSync(join(tmpdir(), 'gpu-check-'));
  for (const precision of ['fp32', 'fp16'] as const) {
    const m = join(dir, precision);
    await writeTinySdModel(m, precision === 'fp16' ? { precision: 'fp16', timestepType: 'float16' } : {});
    const ref = await sample(m, 'cpu', 512);
    console.log(`${precision} cpu: 10 steps at 512 px in ${ref.ms.toFixed(0)} ms`);
    for (const p of ['cuda', 'webgpu'] as ExecutionProvider[]) {
      try {
        const r = await sample(m, p, 512);
        let max = 0;
        for (let i = 0; i < r.out.length; i++) max = Math.max(max, Math.abs(r.out[i]! - ref.out[i]!));
        console.log(`${precision} ${p}: ran on ${r.ran}; ${r.ms.toFixed(0)} ms; max |Δ| vs cpu ${max.toExponential(2)}${r.warnings.length ? `; warning: ${r.warnings.join(' | ')}` : ''}`);
      } catch (e) {
        console.log(`${precision} ${p}: FAILED ${(e as Error).message}`);
      }
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
