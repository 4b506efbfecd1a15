// Full-size SD1.5 UNet built by our graph builder: a random-weight fp32 checkpoint with every name and shape of
// sd15-keys.json, built into an ONNX folder (weights read in place from the file), then ms per UNet call
// (batch 2, 64×64 latent, 77 tokens) through the daemon's Unet part, next to a plain ONNX Runtime session on
// the same exported model.onnx with nothing around it. Sessions run one after the other (each holds ~3.4 GB).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { checkpointToOnnx } from '../../models/checkpointToOnnx';
import { SafetensorsWriter, type TensorSpec } from '../../models/formats/safetensors';
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
      const build = await checkpointToOnnx({ checkpoint: join(dir, 'sd15-random.safetensors'), cacheDir: join(dir, 'cache'), hashCache: false, tokenizerDir: '/none' });
      const second = await checkpointToOnnx({ checkpoint: join(dir, 'sd15-random.safetensors'), cacheDir: join(dir, 'cache'), hashCache: false, tokenizerDir: '/none' });
      const u = build.parts.unet!;
      console.log(`build (first load): ${build.seconds.toFixed(1)} s incl. hashing; UNet ${u.pointed} weights read in place, ${u.converted} converted (${MiB(u.convertedBytes)}); second load from cache: ${(second.seconds * 1000).toFixed(0)} ms`);
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
