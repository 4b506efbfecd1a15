// Full-size SD1.5 UNet built by our graph builder: a random-weight fp32 checkpoint with every name and shape of
// sd15-keys.json, built into an ONNX folder (weights read in place from the file), then ms per UNet call
// (batch 2, 64×64 latent, 77 tokens) through the daemon's Unet part, next to a plain ONNX Runtime session on
// the same exported model.onnx with nothing around it. Sessions run one after the other (each holds ~3.4 GB).
// Then a rank-32 LoRA on every attention, feed-forward and projection weight of the UNet and text encoder (what
// kohya trains): the variant's build time and the disk it adds to the cache, next to the checkpoint's size, and
// its UNet session (the in-graph delta folded at creation) against the plain one.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { checkpointToOnnx } from '../../models/checkpointToOnnx';
import { SafetensorsWriter, writeSafetensors, type TensorSpec } from '../../models/formats/safetensors';
import { listCache } from '../../models/buildCache';
import { HashCache } from '../../models/hash';
import { f32ToF16Bits } from '../../models/graph';
import { byteLength, type DType } from '../../models/formats/tensorRecord';
import { SessionPool } from '../../models/sessions';
import { Unet } from '../../daemon/parts/unet';
import { sharedPath } from '../sharedPath';
import type { Bench } from './registry';

const CALLS = 3;
const MiB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

async function writeRandomCheckpoint(path: string): Promise<number> {
  const table = JSON.parse(readFileSync(sharedPath('models-fixtures', 'sd-tiny', 'sd15-keys.json'), 'utf8')) as { dtype: DType; dtype_exceptions?: Record<string, DType>; tensors: Record<string, number[]> };
  const specs: TensorSpec[] = Object.entries(table.tensors).map(([name, shape]) => ({ name, shape, dtype: table.dtype_exceptions?.[name] ?? table.dtype }));
  // A 64 MiB pool of small random floats (speed does not depend on values; finite values keep kernels honest).
  const pool = Float32Array.from({ length: 16 << 20 }, () => (Math.random() - 0.5) * 0.05);
  const poolBytes = new Uint8Array(pool.buffer);
  const w = await SafetensorsWriter.create(path, specs, { format: 'pt' });
  let total = 0;
  for (const s of specs) {
    const n = byteLength(s);
    if (s.dtype === 'I64') {
      const ids = BigInt64Array.from({ length: n / 8 }, (_, i) => BigInt(i));
      await w.write(new Uint8Array(ids.buffer));
    } else {
      const out = new Uint8Array(n);
      for (let o = 0; o < n; o += poolBytes.length) out.set(poolBytes.subarray(0, Math.min(poolBytes.length, n - o)), o);
      await w.write(out);
    }
    total += n;
  }
  await w.commit();
  return total;
}

/** A kohya-style LoRA (F16, rank 32) on every attention, feed-forward and projection weight; its size in bytes. */
async function writeRandomLora(path: string, rank = 32): Promise<number> {
  const table = JSON.parse(readFileSync(sharedPath('models-fixtures', 'sd-tiny', 'sd15-keys.json'), 'utf8')) as { tensors: Record<string, number[]> };
  const target = /((attn[12]\.to_(q|k|v|out\.0)|ff\.net\.(0\.proj|2)|proj_(in|out))|(self_attn\.(q|k|v|out)_proj|mlp\.fc[12]))\.weight$/;
  const out: { name: string; dtype: 'F16'; shape: number[]; data: Uint8Array }[] = [];
  const rand = (n: number) => new Uint8Array(f32ToF16Bits(Float32Array.from({ length: n }, () => (Math.random() - 0.5) * 0.02)).buffer);
  for (const [key, shape] of Object.entries(table.tensors)) {
    if (!target.test(key)) continue;
    // A1111's module path (compvis names, '.' → '_'), accepted as LoRA module names as they are.
    const module = key.replace(/^model\./, '').replace(/^cond_stage_model\./, '').replace(/\.weight$/, '').replace(/\./g, '_');
    const [o, i] = [shape[0]!, shape[1]!];
    out.push({ name: `${module}.lora_down.weight`, dtype: 'F16', shape: shape.length === 4 ? [rank, i, 1, 1] : [rank, i], data: rand(rank * i) });
    out.push({ name: `${module}.lora_up.weight`, dtype: 'F16', shape: shape.length === 4 ? [o, rank, 1, 1] : [o, rank], data: rand(o * rank) });
  }
  await writeSafetensors(path, out, { format: 'pt' });
  return out.reduce((a, t) => a + t.data.byteLength, 0);
}

function inputs(): { x: Float32Array; ctx: Float32Array } {
  const x = Float32Array.from({ length: 2 * 4 * 64 * 64 }, () => Math.random() * 2 - 1);
  const ctx = Float32Array.from({ length: 2 * 77 * 768 }, () => Math.random() * 2 - 1);
  return { x, ctx };
}

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]! };
};

export const unetBench: Bench = {
  summary: 'SD1.5-size UNet built in TypeScript: ms per call (batch 2, 64×64) via the daemon part vs a plain ORT session',
  default: false,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'sd-studio-unet-bench-'));
    try {
      let t = performance.now();
      const bytes = await writeRandomCheckpoint(join(dir, 'sd15-random.safetensors'));
      console.log(`random SD1.5 checkpoint: ${MiB(bytes)} written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      const cacheRoot = join(dir, 'cache');
      // The hash cache on, as in use: a load after the first does not re-read the 4 GB file.
      const opts = { checkpoint: join(dir, 'sd15-random.safetensors'), cacheDir: join(cacheRoot, 'onnx'), hashCache: new HashCache(cacheRoot), tokenizerDir: '/none' };
      const build = await checkpointToOnnx(opts);
      const second = await checkpointToOnnx(opts);
      const u = build.parts.unet!;
      console.log(`build (first load): ${build.seconds.toFixed(1)} s incl. hashing the checkpoint; UNet ${u.pointed} weights read in place, ${u.converted} converted (${MiB(u.convertedBytes)}); second load from cache: ${(second.seconds * 1000).toFixed(0)} ms`);
      const model = join(build.dir, 'unet', 'model.onnx');
      const { x, ctx } = inputs();
      const threads = 2;

      // 1. Through the daemon's Unet part (SessionPool + input adaptation), as the pipeline calls it.
      t = performance.now();
      const pool = new SessionPool({ provider: 'cpu', threads });
      const unet = new Unet(await pool.get(model));
      const createA = performance.now() - t;
      const a: number[] = [];
      let first = 0;
      for (let i = 0; i <= CALLS; i++) {
        const s = performance.now();
        await unet.predict(x, 2, 4, 64, 64, 500, ctx, 77, 768);
        if (i === 0) first = performance.now() - s;
        else a.push(performance.now() - s);
      }
      await pool.disposeAll();
      const rssA = process.resourceUsage().maxRSS * 1024;

      // 2. A plain session on the same file.
      t = performance.now();
      const plain = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
      const createB = performance.now() - t;
      const feeds = {
        sample: new ort.Tensor('float32', x, [2, 4, 64, 64]),
        timestep: new ort.Tensor('float32', Float32Array.of(500, 500), [2]),
        encoder_hidden_states: new ort.Tensor('float32', ctx, [2, 77, 768]),
      };
      const b: number[] = [];
      let firstB = 0;
      for (let i = 0; i <= CALLS; i++) {
        const s = performance.now();
        await plain.run(feeds);
        if (i === 0) firstB = performance.now() - s;
        else b.push(performance.now() - s);
      }
      await plain.release();
      const sa = stats(a);
      const sb = stats(b);
      console.log(`daemon Unet part: session ${(createA / 1000).toFixed(1)} s, first call ${(first / 1000).toFixed(1)} s, then min ${sa.min.toFixed(0)} ms, median ${sa.median.toFixed(0)} ms per call (${a.map((v) => v.toFixed(0)).join(', ')})`);
      console.log(`plain ORT session:  session ${(createB / 1000).toFixed(1)} s, first call ${(firstB / 1000).toFixed(1)} s, then min ${sb.min.toFixed(0)} ms, median ${sb.median.toFixed(0)} ms per call (${b.map((v) => v.toFixed(0)).join(', ')})`);
      console.log(`ratio daemon/plain: min ${(sa.min / sb.min).toFixed(3)}, median ${(sa.median / sb.median).toFixed(3)}`);
      console.log(`peak RSS: ${MiB(rssA)} after the daemon-part session, ${MiB(process.resourceUsage().maxRSS * 1024)} overall`);

      // 3. A LoRA variant: build time, extra disk, and its UNet session (delta folded when the session is created).
      const loraFile = join(dir, 'style-r32.safetensors');
      const loraBytes = await writeRandomLora(loraFile);
      const before = listCache(cacheRoot).totalBytes;
      t = performance.now();
      const variant = await checkpointToOnnx({ ...opts, loras: [{ name: 'style-r32', file: loraFile, te: 0.8, unet: 0.8 }] });
      const buildS = (performance.now() - t) / 1000;
      const extra = listCache(cacheRoot).totalBytes - before;
      console.log(`LoRA variant (rank 32, ${variant.lora?.merged} weights, LoRA file ${MiB(loraBytes)}): built in ${buildS.toFixed(2)} s incl. hashing the LoRA (limit 10 s); extra disk ${MiB(extra)} = ${((100 * extra) / bytes).toFixed(3)} % of the ${MiB(bytes)} checkpoint (limit 10 %)`);
      t = performance.now();
      const lp = new SessionPool({ provider: 'cpu', threads });
      const lu = new Unet(await lp.get(join(variant.dir, 'unet', 'model.onnx')));
      const createL = performance.now() - t;
      await lu.predict(x, 2, 4, 64, 64, 500, ctx, 77, 768);
      const l: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        const s0 = performance.now();
        await lu.predict(x, 2, 4, 64, 64, 500, ctx, 77, 768);
        l.push(performance.now() - s0);
      }
      await lp.disposeAll();
      const sl = stats(l);
      console.log(`LoRA variant UNet: session ${(createL / 1000).toFixed(1)} s (plain ${(createA / 1000).toFixed(1)} s), then min ${sl.min.toFixed(0)} ms, median ${sl.median.toFixed(0)} ms per call (plain min ${sa.min.toFixed(0)} ms)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
