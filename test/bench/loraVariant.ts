// `npm run bench -- lora`: a rank-32 LoRA on every attention, feed-forward and projection weight of the UNet and
// text encoder of the full-size random SD1.5 checkpoint (what kohya trains): the variant's build time and the disk
// it adds to the cache, next to the checkpoint's size, and its UNet session (the in-graph delta folded at
// creation) against the plain one. Sessions run one after the other (each holds GBs).
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointToOnnx } from '../../models/checkpointToOnnx';
import { writeSafetensors } from '../../models/formats/safetensors';
import { listCache } from '../../models/buildCache';
import { HashCache } from '../../models/hash';
import { f32ToF16Bits } from '../../models/graph';
import { SessionPool } from '../../models/sessions';
import { Unet } from '../../daemon/parts/unet';
import { sharedPath } from '../sharedPath';
import { randomSd15Checkpoint } from './randomCheckpoint';
import type { Bench } from './registry';

const CALLS = 3;
const MiB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

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

/** Session time and ms per call (batch 2, 64×64, 77 tokens) of one UNet graph. */
async function timeUnet(model: string, threads: number): Promise<{ create: number; min: number; median: number }> {
  const x = Float32Array.from({ length: 2 * 4 * 64 * 64 }, () => Math.random() * 2 - 1);
  const ctx = Float32Array.from({ length: 2 * 77 * 768 }, () => Math.random() * 2 - 1);
  const t = performance.now();
  const pool = new SessionPool({ provider: 'cpu', threads });
  try {
    const unet = new Unet(await pool.get(model));
    const create = performance.now() - t;
    await unet.predict(x, 2, 4, 64, 64, 500, ctx, 77, 768);
    const ms: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const s = performance.now();
      await unet.predict(x, 2, 4, 64, 64, 500, ctx, 77, 768);
      ms.push(performance.now() - s);
    }
    ms.sort((a, b) => a - b);
    return { create, min: ms[0]!, median: ms[Math.floor((ms.length - 1) / 2)]! };
  } finally {
    await pool.disposeAll();
  }
}

export const loraVariantBench: Bench = {
  summary: 'LoRA variant of the SD1.5-size random checkpoint: build time, extra cache disk, UNet session and step vs the plain graph',
  default: false,
  async run() {
    const checkpoint = await randomSd15Checkpoint();
    const dir = mkdtempSync(join(tmpdir(), 'sd-studio-lora-bench-'));
    try {
      const cacheRoot = join(dir, 'cache');
      // The hash cache on, as in use: a load after the first does not re-read the 4 GB file.
      const opts = { checkpoint, cacheDir: join(cacheRoot, 'onnx'), hashCache: new HashCache(cacheRoot), tokenizerDir: '/none' };
      const build = await checkpointToOnnx(opts);
      const bytes = statSync(checkpoint).size;
      const loraFile = join(dir, 'style-r32.safetensors');
      const loraBytes = await writeRandomLora(loraFile);
      const before = listCache(cacheRoot).totalBytes;
      const t = performance.now();
      const variant = await checkpointToOnnx({ ...opts, loras: [{ name: 'style-r32', file: loraFile, te: 0.8, unet: 0.8 }] });
      const buildS = (performance.now() - t) / 1000;
      const extra = listCache(cacheRoot).totalBytes - before;
      console.log(`LoRA variant (rank 32, ${variant.lora?.merged} weights, LoRA file ${MiB(loraBytes)}): built in ${buildS.toFixed(2)} s incl. hashing the LoRA (limit 10 s); extra disk ${MiB(extra)} = ${((100 * extra) / bytes).toFixed(3)} % of the ${MiB(bytes)} checkpoint (limit 10 %)`);
      const plain = await timeUnet(build.unet, 2);
      const lora = await timeUnet(variant.unet, 2);
      console.log(`LoRA variant UNet: session ${(lora.create / 1000).toFixed(1)} s (plain ${(plain.create / 1000).toFixed(1)} s), then min ${lora.min.toFixed(0)} ms, median ${lora.median.toFixed(0)} ms per call (plain min ${plain.min.toFixed(0)} ms, median ${plain.median.toFixed(0)} ms)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
