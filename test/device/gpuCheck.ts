// One prepared check of the GPU execution providers, for a lent GPU machine (not a test: CI has no GPU). Bundled by
// test/device/prepare.sh, run there by test/device/run.sh; prints a report and writes it as JSON (--out DIR).
//  1. tiny: the tiny test model (fp32 and fp16 folders) through ModelManager and the real denoise stage, 10 Euler
//     steps at 512 px, per provider: which provider really ran (a fallback warns), time, max |Δ| vs the CPU.
//  2. full (--full): a full-size SD1.5 UNet with random weights, built as the product builds it (plain fp32 and
//     the fp16 fused-attention variant GPU providers get): one CFG step (batch 2, 512 px) per provider and graph,
//     session creation, first call, min/median of the next calls, relative L2 of eps vs the CPU's fp32.
// Every failure is recorded with ONNX Runtime's message: the report says what happened, whatever it is.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinySdModel } from '../../models/testModel/tinySd';
import { checkpointToOnnx } from '../../models/checkpointToOnnx';
import { presentProviders, runtimeInfo, SessionPool, type ExecutionProvider } from '../../models/sessions';
import { variantForProvider } from '../../models/unetVariant';
import { Unet } from '../../daemon/parts/unet';
import { PromptEncoder } from '../../daemon/stages/encodePrompt';
import { denoise } from '../../daemon/stages/denoise';
import { createRng, discreteSchedule, samplers, samplerSigmas } from '../../daemon/sampling';
import { testModelManager } from '../fixtures/testServices';
import { randomSd15Checkpoint } from '../bench/randomCheckpoint';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
const providers = (opt('providers') ?? 'webgpu,cuda').split(',') as ExecutionProvider[];
const calls = Number(opt('calls') ?? '3');
const report: Record<string, unknown> = { started: new Date().toISOString(), runtime: runtimeInfo(), present: presentProviders(), providers, tiny: [], full: [] };

/** Prints a line and rewrites the JSON report, so a run cut short by its time limit still brings back its rows. */
function log(line: string): void {
  console.log(line);
  const out = opt('out');
  if (!out) return;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'gpu-check.json'), `${JSON.stringify({ ...report, updated: new Date().toISOString() }, null, 2)}\n`);
}
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n').slice(0, 3).join(' | ');
const stats = (ms: number[]): { min: number; median: number } => {
  const s = [...ms].sort((a, b) => a - b);
  return { min: s[0] ?? NaN, median: s[Math.floor((s.length - 1) / 2)] ?? NaN };
};
const relL2 = (a: Float32Array, b: Float32Array): number => {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
};

async function tinySample(dir: string, provider: ExecutionProvider): Promise<{ out: Float32Array; ms: number; warnings: string[] }> {
  const warnings: string[] = [];
  const models = testModelManager(0, provider, (m) => warnings.push(m));
  try {
    const model = await models.get(dir);
    const schedule = discreteSchedule(model.layout.scheduler);
    const prompts = new PromptEncoder(model);
    const cond = await prompts.encode('a lighthouse at dusk');
    const uncond = await prompts.encode('');
    const h = 64, w = 64;
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
    return { out: (await model.vaeDecoder.decode(out, h, w)).image, ms, warnings };
  } finally {
    await models.dispose();
  }
}

async function tiny(work: string): Promise<void> {
  for (const precision of ['fp32', 'fp16'] as const) {
    const dir = join(work, `tiny-${precision}`);
    await writeTinySdModel(dir, precision === 'fp16' ? { precision: 'fp16', timestepType: 'float16' } : {});
    const ref = await tinySample(dir, 'cpu');
    (report.tiny as unknown[]).push({ precision, provider: 'cpu', ms: ref.ms });
    log(`tiny ${precision} cpu: 10 steps at 512 px in ${ref.ms.toFixed(0)} ms`);
    for (const p of providers) {
      try {
        const r = await tinySample(dir, p);
        let max = 0;
        for (let i = 0; i < r.out.length; i++) max = Math.max(max, Math.abs(r.out[i]! - ref.out[i]!));
        const ran = r.warnings.length ? 'cpu (fallback)' : p;
        (report.tiny as unknown[]).push({ precision, provider: p, ran, ms: r.ms, maxAbsDiff: max, warnings: r.warnings });
        log(`tiny ${precision} ${p}: ran on ${ran}; ${r.ms.toFixed(0)} ms; max |Δ| vs cpu ${max.toExponential(2)}${r.warnings.length ? `; ${r.warnings.join(' | ')}` : ''}`);
      } catch (e) {
        (report.tiny as unknown[]).push({ precision, provider: p, error: message(e) });
        log(`tiny ${precision} ${p}: FAILED ${message(e)}`);
      }
    }
  }
}

/** One full-size UNet graph on one provider: create, first call, then `calls` timed calls. */
async function fullRun(model: string, provider: ExecutionProvider, x: Float32Array, ctx: Float32Array): Promise<Record<string, unknown> & { out?: Float32Array }> {
  const warnings: string[] = [];
  const pool = new SessionPool({ provider, threads: 0 }, (m) => warnings.push(m));
  try {
    let t = performance.now();
    const session = await pool.get(model);
    const create = performance.now() - t;
    const unet = new Unet(session);
    const call = (): Promise<Float32Array> => unet.predict(x, 2, 4, 64, 64, 500, ctx, 77, 768);
    t = performance.now();
    const out = await call();
    const first = performance.now() - t;
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      t = performance.now();
      await call();
      times.push(performance.now() - t);
    }
    return { ran: session.provider, warnings, createMs: create, firstMs: first, ...stats(times), out };
  } finally {
    await pool.disposeAll();
  }
}

async function full(work: string): Promise<void> {
  const checkpoint = await randomSd15Checkpoint(join(work, 'checkpoint'));
  const graph = async (precision: 'fp32' | 'fp16'): Promise<string> => (await checkpointToOnnx({ checkpoint, cacheDir: join(work, 'onnx'), hashCache: false, tokenizerDir: '/none', unet: { precision } })).unet;
  const graphs = { fp32: await graph('fp32'), fp16: await graph('fp16') };
  let s = 99;
  const r = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  const x = Float32Array.from({ length: 2 * 4 * 64 * 64 }, () => 1.7 * r());
  const ctx = Float32Array.from({ length: 2 * 77 * 768 }, r);
  const ref = await fullRun(graphs.fp32, 'cpu', x, ctx);
  const { out: refOut, ...refRow } = ref;
  (report.full as unknown[]).push({ graph: 'fp32', provider: 'cpu', ...refRow });
  log(`full fp32 cpu: create ${(refRow.createMs as number / 1000).toFixed(1)} s, step ${((refRow.median as number) / 1000).toFixed(2)} s (min ${((refRow.min as number) / 1000).toFixed(2)})`);
  for (const p of providers) {
    // The graph the product picks for this provider first (fp16 on GPU providers), then the plain fp32 one.
    const picks = [...new Set([variantForProvider({}, p).precision ?? 'fp32', 'fp32'])] as Array<'fp32' | 'fp16'>;
    for (const precision of picks) {
      try {
        const { out, ...row } = await fullRun(graphs[precision], p, x, ctx);
        const dev = out && refOut ? relL2(out, refOut) : NaN;
        (report.full as unknown[]).push({ graph: precision, provider: p, ...row, relL2VsCpuFp32: dev });
        log(`full ${precision} ${p}: ran on ${row.ran}; create ${((row.createMs as number) / 1000).toFixed(1)} s, first ${((row.firstMs as number) / 1000).toFixed(2)} s, step min ${(row.min as number).toFixed(0)} ms / median ${(row.median as number).toFixed(0)} ms; eps relative L2 vs cpu fp32 ${dev.toExponential(2)}${(row.warnings as string[]).length ? `; ${(row.warnings as string[]).join(' | ')}` : ''}`);
      } catch (e) {
        (report.full as unknown[]).push({ graph: precision, provider: p, error: message(e) });
        log(`full ${precision} ${p}: FAILED ${message(e)}`);
      }
    }
  }
}

async function main(): Promise<void> {
  const out = opt('out');
  const work = opt('work') ?? mkdtempSync(join(tmpdir(), 'gpu-check-'));
  log(`onnxruntime ${runtimeInfo().version} (${runtimeInfo().source}, ${runtimeInfo().dir}); providers present: ${presentProviders().join(', ')}; trying: ${providers.join(', ')}`);
  for (const [name, section] of [['tiny', tiny], ...(args.includes('--full') ? [['full', full] as const] : [])] as const) {
    try {
      await section(work);
    } catch (e) {
      report[`${name}Error`] = message(e);
      log(`${name}: FAILED ${message(e)}`);
    }
  }
  report.finished = new Date().toISOString();
  log(`done${out ? `: ${join(out, 'gpu-check.json')}` : ''}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
