// SDXL at full size with random weights (every name and shape of sdxl-keys.json, fp16 as released): the time to
// build the ONNX folder from the single file and to load it again from the cache, the UNet's CFG step (batch 2)
// at 1024² and 768² through the daemon's Unet part, and the time and peak RSS of each stage of a 1024² img2img
// job through the daemon's pipeline (bench/sdxlJob.ts). Needs ~8 GB of disk for the checkpoint (kept in SD_STUDIO_BENCH_DIR when
// set, so reruns skip writing it) and up to ~14 GB of memory: run it under the shared heavy lock.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointToOnnx } from '../../models/checkpointToOnnx';
import { SafetensorsWriter, type TensorSpec } from '../../models/formats/safetensors';
import { byteLength, type DType } from '../../models/formats/tensorRecord';
import { f32ToF16Bits } from '../../models/graph';
import { SessionPool } from '../../models/sessions';
import { Unet } from '../../daemon/parts/unet';
import { sharedPath } from '../sharedPath';
import type { Bench } from './registry';
import { JOB_CHILD_ENV, runJob, runJobChild } from './sdxlJob';

/** Timed UNet calls per size after the first (SD_STUDIO_BENCH_CALLS; a 1024² call takes minutes on 2 cores). */
const CALLS = Number(process.env.SD_STUDIO_BENCH_CALLS ?? 3);
/** The job's budget here is 14 GB; past this the run is stopped. */
const LIMIT = 17 * 2 ** 30;
const GiB = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function writeRandomSdxl(path: string): Promise<number> {
  const table = JSON.parse(readFileSync(sharedPath('models-fixtures', 'sd-tiny', 'sdxl-keys.json'), 'utf8')) as { dtype: DType; dtype_exceptions?: Record<string, DType>; tensors: Record<string, number[]> };
  const specs: TensorSpec[] = Object.entries(table.tensors).map(([name, shape]) => ({ name, shape, dtype: table.dtype_exceptions?.[name] ?? table.dtype }));
  // 32 MiB of small finite fp16 values, repeated (speed does not depend on values; no NaN/Inf in the kernels).
  const pool = new Uint8Array(f32ToF16Bits(Float32Array.from({ length: 16 << 20 }, () => (Math.random() - 0.5) * 0.05)).buffer);
  const w = await SafetensorsWriter.create(path, specs, { format: 'pt' });
  let total = 0;
  for (const s of specs) {
    const n = byteLength(s);
    if (s.dtype === 'I64') await w.write(new Uint8Array(BigInt64Array.from({ length: n / 8 }, (_, i) => BigInt(i)).buffer));
    else {
      const out = new Uint8Array(n);
      for (let o = 0; o < n; o += pool.length) out.set(pool.subarray(0, Math.min(pool.length, n - o)), o);
      await w.write(out);
    }
    total += n;
  }
  await w.commit();
  return total;
}

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return `min ${secs(s[0]!)}, median ${secs(s[Math.floor(s.length / 2)]!)} (${ms.map((v) => (v / 1000).toFixed(1)).join(', ')} s)`;
};

/** One 1024² img2img job (4 steps at strength 0.5: 3 CFG steps, as A1111 counts them) in a process of its own: time and peak RSS per stage. */
async function job(checkpoint: string, work: string): Promise<void> {
  const { total, stages } = await runJob({ checkpoint, work }, LIMIT);
  console.log(`1024² img2img job (3 CFG steps; UNet call 1 includes creating its session): ${total.toFixed(1)} s in the pipeline, peak RSS ${GiB(Math.max(...stages.map((s) => s.peak)))}`);
  for (const s of stages) console.log(`  ${s.stage.padEnd(34)} ${s.seconds.toFixed(1).padStart(7)} s   peak RSS ${GiB(s.peak)}`);
}

async function unetSteps(model: string): Promise<void> {
  const pool = new SessionPool({ provider: 'cpu', threads: 2 });
  let t = performance.now();
  // As the daemon opens SDXL sessions: no CPU arena (parts/sdModel.ts).
  const unet = new Unet(await pool.get(model, { arena: false }));
  console.log(`UNet session: ${secs(performance.now() - t)}, RSS ${GiB(process.memoryUsage().rss)}`);
  const ctx = Float32Array.from({ length: 2 * 77 * 2048 }, () => Math.random() * 2 - 1);
  const added = { textEmbeds: Float32Array.from({ length: 2 * 1280 }, () => Math.random() - 0.5), timeIds: Float32Array.of(1024, 1024, 0, 0, 1024, 1024, 1024, 1024, 0, 0, 1024, 1024) };
  for (const side of [768, 1024]) {
    const l = side / 8;
    const x = Float32Array.from({ length: 2 * 4 * l * l }, () => Math.random() * 2 - 1);
    const ms: number[] = [];
    t = performance.now();
    await unet.predict(x, 2, 4, l, l, 500, ctx, 77, 2048, added);
    const first = performance.now() - t;
    for (let i = 0; i < CALLS; i++) {
      t = performance.now();
      await unet.predict(x, 2, 4, l, l, 500, ctx, 77, 2048, added);
      ms.push(performance.now() - t);
    }
    console.log(`UNet CFG step (batch 2) at ${side}²: first ${secs(first)}, then ${stats(ms)}; bench RSS ${GiB(process.memoryUsage().rss)}, peak ${GiB(process.resourceUsage().maxRSS * 1024)}`);
  }
  await pool.disposeAll();
}

export const sdxlBench: Bench = {
  summary: 'SDXL, random full-size weights: build and cached load, UNet CFG step at 1024² and 768², time and peak RSS per stage of a 1024² img2img job',
  default: false,
  async run() {
    const child = process.env[JOB_CHILD_ENV];
    if (child) return runJobChild(JSON.parse(child) as { checkpoint: string; work: string });
    const keep = process.env.SD_STUDIO_BENCH_DIR;
    const dir = keep ?? mkdtempSync(join(tmpdir(), 'sd-studio-sdxl-bench-'));
    mkdirSync(dir, { recursive: true });
    const checkpoint = join(dir, 'sdxl-random.safetensors');
    const cache = join(dir, `cache-${process.pid}`);
    process.env.SD_STUDIO_CACHE_DIR = cache;
    process.env.SD_STUDIO_TOKENIZER ??= sharedPath('models-fixtures', 'clip-tokenizer');
    try {
      if (!existsSync(checkpoint)) {
        const t = performance.now();
        const bytes = await writeRandomSdxl(checkpoint);
        console.log(`random SDXL checkpoint: ${GiB(bytes)} written in ${secs(performance.now() - t)}`);
      }
      const build = await checkpointToOnnx({ checkpoint, cacheDir: join(cache, 'onnx'), tokenizerDir: process.env.SD_STUDIO_TOKENIZER });
      const again = await checkpointToOnnx({ checkpoint, cacheDir: join(cache, 'onnx') });
      const u = build.parts.unet!;
      console.log(`build (first load): ${secs(build.seconds * 1000)} incl. hashing the file; UNet ${u.pointed} weights read in place, ${u.converted} converted (${GiB(u.convertedBytes)}); all parts converted ${GiB(Object.values(build.parts).reduce((a, p) => a + p.convertedBytes, 0))}`);
      console.log(`cached load: ${(again.seconds * 1000).toFixed(0)} ms`);
      // SD_STUDIO_BENCH_PARTS=job or =unet runs one half (each takes minutes and the machine is shared).
      const parts = (process.env.SD_STUDIO_BENCH_PARTS ?? 'job,unet').split(',');
      if (parts.includes('job')) await job(checkpoint, dir);
      if (parts.includes('unet')) await unetSteps(join(build.dir, 'unet', 'model.onnx'));
    } finally {
      rmSync(cache, { recursive: true, force: true });
      if (!keep) rmSync(dir, { recursive: true, force: true });
    }
  },
};
