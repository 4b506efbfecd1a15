// Weighted-sum merge of two generated 2 GB fp16 checkpoints: throughput and peak RSS, next to a plain streamed
// copy of the same number of bytes on the same disk (the floor any merge is measured against).
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsWriter, type TensorSpec } from '../../models/formats/safetensors';
import { byteLength } from '../../models/formats/tensorRecord';
import { f32ToF16Bits } from '../../models/graph/float16';
import { mergeCheckpoints } from '../../models/merge';
import type { Bench } from './registry';

const TARGET = 2e9;

/** SD-like layout: the CLIP token embedding (the largest tensor), many 3×3 convs, biases; ≈ 2 GB in fp16. */
function layout(): TensorSpec[] {
  const specs: TensorSpec[] = [{ name: 'cond_stage_model.transformer.text_model.embeddings.token_embedding.weight', dtype: 'F16', shape: [49408, 768] }];
  let total = byteLength(specs[0]!);
  for (let i = 0; total < TARGET; i++) {
    const s: TensorSpec = i % 3 === 2
      ? { name: `model.diffusion_model.block.${i}.bias`, dtype: 'F16', shape: [1280] }
      : { name: `model.diffusion_model.block.${i}.weight`, dtype: 'F16', shape: [1280, 1280, 3, 3] };
    specs.push(s);
    total += byteLength(s);
  }
  return specs;
}

/** Writes a checkpoint from a 32 MB pool of random fp16 values (offset by `seed` so A and B differ). */
async function generate(path: string, specs: TensorSpec[], seed: number): Promise<void> {
  const pool = f32ToF16Bits(Float32Array.from({ length: 16 << 20 }, () => (Math.random() - 0.5) * 0.2));
  const bytes = new Uint8Array(pool.buffer);
  const w = await SafetensorsWriter.create(path, specs, { seed: String(seed) });
  let at = seed * 4096;
  for (const s of specs) {
    const n = byteLength(s);
    const out = new Uint8Array(n);
    for (let o = 0; o < n; ) {
      const take = Math.min(n - o, bytes.length - (at % bytes.length));
      out.set(bytes.subarray(at % bytes.length, (at % bytes.length) + take), o);
      o += take;
      at += take;
    }
    await w.write(out);
  }
  await w.commit();
}

async function copy(from: string, to: string): Promise<number> {
  const src = await open(from, 'r');
  const dst = await open(to, 'w');
  const buf = new Uint8Array(8 << 20);
  let n = 0;
  try {
    for (;;) {
      const { bytesRead } = await src.read(buf, 0, buf.length, n);
      if (!bytesRead) break;
      await dst.write(buf, 0, bytesRead, n);
      n += bytesRead;
    }
    await dst.sync();
  } finally {
    await src.close();
    await dst.close();
  }
  return n;
}

const mb = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
/** CPU seconds (user + system, all threads of the process). */
const cpuS = (u: NodeJS.CpuUsage) => ((u.user + u.system) / 1e6).toFixed(1);
const MiB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

/** A merge under test: A ⊕ B → out, returning the output's byte count; `onProgress` lets the bench sample RSS. */
export type MergeUnderTest = (a: string, b: string, out: string, onProgress: () => void) => Promise<number>;

/**
 * Generates A and B once, then runs every merge variant and the plain copy `runs` times, interleaved (copy,
 * variant 1, variant 2, …, copy, …) so that machine load falls on all of them alike; prints min and median.
 */
export async function runMergeBench(variants: Record<string, MergeUnderTest>, runs = Number(process.env.MERGE_BENCH_RUNS ?? 3)): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sd-studio-merge-bench-'));
  try {
    const specs = layout();
    const [a, b, out] = ['a.safetensors', 'b.safetensors', 'out.safetensors'].map((f) => join(dir, f)) as [string, string, string];
    let t = performance.now();
    await generate(a, specs, 1);
    await generate(b, specs, 2);
    const total = specs.reduce((s, x) => s + byteLength(x), 0);
    console.log(`generated 2 × ${(total / 1e9).toFixed(2)} GB (${specs.length} tensors, largest ${(byteLength(specs[0]!) / 1e6).toFixed(0)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s; ${runs} runs each, interleaved`);
    const times: Record<string, number[]> = { copy: [] };
    const peak: Record<string, number> = {};
    let bytes = 0;
    for (let r = 0; r < runs; r++) {
      let cpu = process.cpuUsage();
      t = performance.now();
      const n = await copy(a, out);
      times.copy!.push(performance.now() - t);
      const copyCpu = cpuS(process.cpuUsage(cpu));
      bytes = n;
      rmSync(out);
      for (const [name, merge] of Object.entries(variants)) {
        let sampled = process.memoryUsage.rss();
        const sample = () => (sampled = Math.max(sampled, process.memoryUsage.rss()));
        const timer = setInterval(sample, 5);
        cpu = process.cpuUsage();
        t = performance.now();
        const outBytes = await merge(a, b, out, sample);
        const ms = performance.now() - t;
        const mergeCpu = cpuS(process.cpuUsage(cpu));
        clearInterval(timer);
        sample();
        (times[name] ??= []).push(ms);
        peak[name] = Math.max(peak[name] ?? 0, sampled);
        console.log(`  run ${r + 1}: copy ${mb(n, times.copy![r]!)} MB/s (cpu ${copyCpu} s), ${name} ${mb(outBytes, ms)} MB/s (${(ms / 1000).toFixed(2)} s, cpu ${mergeCpu} s), RSS sampled ${MiB(sampled)}, process max ${MiB(process.resourceUsage().maxRSS * 1024)}`);
        rmSync(out);
      }
    }
    const line = (name: string) => {
      const ts = times[name]!;
      return `${name.padEnd(14)} min ${(Math.min(...ts) / 1000).toFixed(2)} s = ${mb(bytes, Math.min(...ts)).padStart(4)} MB/s   median ${(median(ts) / 1000).toFixed(2)} s = ${mb(bytes, median(ts)).padStart(4)} MB/s`;
    };
    console.log(line('copy'));
    for (const name of Object.keys(variants)) {
      const ratio = (f: (x: number[]) => number) => (f(times[name]!) / f(times.copy!)).toFixed(2);
      console.log(`${line(name)}   merge/copy time: min ${ratio((x) => Math.min(...x))}×, median ${ratio(median)}× (target ≤ 2×); peak RSS (sampled) ${MiB(peak[name]!)} ${peak[name]! < 2 ** 30 ? '<' : '≥'} 1 GiB`);
    }
    console.log(`process max RSS ${MiB(process.resourceUsage().maxRSS * 1024)} (includes generation)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const mergeBench: Bench = {
  summary: 'weighted-sum merge of two generated 2 GB fp16 checkpoints vs a plain file copy, 3 interleaved runs (MERGE_BENCH_RUNS; writes ~4 GB + 2 GB per run to tmp)',
  default: false,
  run: () =>
    runMergeBench({
      merge: async (a, b, out, onProgress) =>
        (await mergeCheckpoints({ primary: a, secondary: b, method: 'weighted-sum', multiplier: 0.3, out, hashCache: false, addRecipe: false, onProgress })).bytes,
    }),
};
