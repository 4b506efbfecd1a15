// `npm run bench -- unet [options]`: our SD1.5-size UNet graphs, built from a checkpoint (default: a random one with
// the real shapes, bench/randomCheckpoint.ts), ms per CFG step (batch 2, 77 tokens) through the daemon's Unet part;
// variants and a baseline export run in alternating sessions, one alive at a time (each holds GBs), round after
// round, so a noisy machine spreads over all of them alike.
//   --variants fp32,tome0.3,tome0.5,int8,int8-tome0.5   graphs to compare (default fp32,int8)
//   --baseline DIR      also any diffusers-layout UNet export (DIR/unet/model.onnx, DIR/model.onnx or a file)
//   --checkpoint FILE   build our graphs from these weights instead of random ones
//   --rounds N --calls N --size PX --threads N --memory prepack=off,arena=off,pattern=off
//   --json              one JSON line with the figures (used by the memory bench)
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointToOnnx } from '../../models/checkpointToOnnx';
import { SessionPool, type SessionMemory } from '../../models/sessions';
import type { UnetVariant } from '../../models/unetVariant';
import { Unet } from '../../daemon/parts/unet';
import { randomSd15Checkpoint } from './randomCheckpoint';
import { GiB, rssNow } from './rss';
import type { Bench } from './registry';

export function flag(args: string[], name: string, def: string): string;
export function flag(args: string[], name: string): string | undefined;
export function flag(args: string[], name: string, def?: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
}

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor((s.length - 1) / 2)]! };
};

/** "tome0.5" → token merging at 0.5; "int8-tome0.3" → both. */
function parseVariant(name: string): { variant: UnetVariant; ratio: number } {
  const tome = /tome([\d.]+)/.exec(name);
  return { variant: { precision: name.includes('int8') ? 'int8' : 'fp32', tokenMerging: !!tome }, ratio: tome ? Number(tome[1]) : 0 };
}

export function parseMemory(spec: string | undefined): SessionMemory {
  const m: SessionMemory = {};
  for (const part of (spec ?? '').split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    const on = v !== 'off';
    if (k === 'prepack') m.prepacking = on;
    else if (k === 'arena') m.arena = on;
    else if (k === 'pattern') m.memPattern = on;
    else throw new Error(`--memory: unknown option "${k}" (prepack, arena, pattern)`);
  }
  return m;
}

function baselineModel(dir: string): string {
  for (const p of [join(dir, 'unet', 'model.onnx'), join(dir, 'model.onnx'), dir]) if (existsSync(p) && statSync(p).isFile()) return p;
  throw new Error(`--baseline ${dir}: no unet/model.onnx or model.onnx there`);
}

/** Seeded inputs: a latent ~ U(-1.7, 1.7), a CLIP-like context, at `px` pixels. */
function inputs(px: number, width: number): { x: Float32Array; ctx: Float32Array; h: number } {
  let s = 99;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  const h = px / 8;
  return { x: Float32Array.from({ length: 2 * 4 * h * h }, () => 1.7 * r()), ctx: Float32Array.from({ length: 2 * 77 * width }, r), h };
}

interface Row { name: string; create: number[]; first: number[]; calls: number[]; cpu: number[]; rss: number; anon: number; relL2?: number }

export const unetBench: Bench = {
  summary: 'SD1.5-size UNet graph variants (fp32, token merging, int8) and any baseline export: s per CFG step, session memory, int8 deviation',
  default: false,
  async run(args) {
    const rounds = Number(flag(args, 'rounds', '2'));
    const calls = Number(flag(args, 'calls', '2'));
    const px = Number(flag(args, 'size', '512'));
    const threads = Number(flag(args, 'threads', '2'));
    const memory = parseMemory(flag(args, 'memory'));
    const json = args.includes('--json');
    const names = flag(args, 'variants', 'fp32,int8').split(',');
    const checkpoint = flag(args, 'checkpoint') ?? (await randomSd15Checkpoint());
    const models: Array<{ name: string; path: string; ratio: number }> = [];
    for (const name of names) {
      const { variant, ratio } = parseVariant(name);
      const t = performance.now();
      const r = await checkpointToOnnx({ checkpoint, unet: variant, tokenizerDir: '/none' });
      if (!json) console.log(`${name}: ${r.unet} (${r.cached ? 'cached' : 'built'}, ${((performance.now() - t) / 1000).toFixed(1)} s)`);
      models.push({ name, path: r.unet, ratio });
    }
    const base = flag(args, 'baseline');
    if (base) models.push({ name: 'baseline', path: baselineModel(base), ratio: 0 });
    const rows = new Map<string, Row>(models.map((m) => [m.name, { name: m.name, create: [], first: [], calls: [], cpu: [], rss: 0, anon: 0 }]));
    let reference: Float32Array | undefined;
    for (let round = 0; round < rounds; round++) {
      for (const m of models) {
        const row = rows.get(m.name)!;
        const before = rssNow();
        let peak = before;
        const timer = setInterval(() => {
          const n = rssNow();
          if (n.rss > peak.rss) peak = n;
        }, 100);
        const pool = new SessionPool({ provider: 'cpu', threads, memory });
        try {
          let t = performance.now();
          const unet = new Unet(await pool.get(m.path));
          row.create.push(performance.now() - t);
          const { x, ctx, h } = inputs(px, unet.contextWidth ?? 768);
          const call = () => unet.predict(x, 2, 4, h, h, 500, ctx, 77, unet.contextWidth ?? 768, undefined, { tokenMergingRatio: m.ratio });
          t = performance.now();
          const out = await call();
          row.first.push(performance.now() - t);
          if (round === 0 && m.name === names[0]) reference = out;
          else if (round === 0 && reference && m.name !== 'baseline') {
            let num = 0, den = 0;
            for (let i = 0; i < out.length; i++) {
              num += (out[i]! - reference[i]!) ** 2;
              den += reference[i]! ** 2;
            }
            row.relL2 = Math.sqrt(num / den);
          }
          for (let i = 0; i < calls; i++) {
            t = performance.now();
            const c0 = process.cpuUsage();
            await call();
            row.calls.push(performance.now() - t);
            const c = process.cpuUsage(c0);
            row.cpu.push((c.user + c.system) / 1000);
          }
        } finally {
          clearInterval(timer);
          await pool.disposeAll();
        }
        row.rss = Math.max(row.rss, peak.rss - before.rss);
        row.anon = Math.max(row.anon, peak.anon - before.anon);
        if (!json) console.log(`  round ${round + 1} ${m.name}: session ${(row.create.at(-1)! / 1000).toFixed(1)} s, first ${(row.first.at(-1)! / 1000).toFixed(1)} s, calls ${row.calls.slice(-calls).map((v) => (v / 1000).toFixed(2)).join(' ')} s`);
      }
    }
    const out = [...rows.values()].map((r) => ({ ...r, step: stats(r.calls), cpuStep: stats(r.cpu), session: stats(r.create) }));
    if (json) {
      console.log(JSON.stringify({ px, threads, memory, rows: out.map((r) => ({ name: r.name, stepMin: r.step.min, stepMedian: r.step.median, cpuMin: r.cpuStep.min, cpuMedian: r.cpuStep.median, sessionMedian: r.session.median, rss: r.rss, anon: r.anon, relL2: r.relL2 })) }));
      return;
    }
    const first = out[0]!;
    console.log(`\n${px} px, batch 2 (one CFG step), ${threads} threads, ${rounds} rounds × ${calls} calls; memory options ${JSON.stringify(memory)}`);
    // CPU seconds per step (all threads) move much less than wall time when other processes share the cores.
    console.log('variant        wall min / median    vs first      CPU s min / median   vs first      session   RSS while alive   rel. L2 of eps vs first');
    for (const r of out) {
      const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
      console.log(`${r.name.padEnd(14)} ${(r.step.min / 1000).toFixed(2).padStart(6)} / ${(r.step.median / 1000).toFixed(2).padStart(6)} s   ${x(first.step.min, r.step.min)}/${x(first.step.median, r.step.median)}`
        + `   ${(r.cpuStep.min / 1000).toFixed(2).padStart(6)} / ${(r.cpuStep.median / 1000).toFixed(2).padStart(6)} s   ${x(first.cpuStep.min, r.cpuStep.min)}/${x(first.cpuStep.median, r.cpuStep.median)}`
        + `   ${(r.session.median / 1000).toFixed(1).padStart(5)} s   ${GiB(r.rss)}   ${r.relL2 === undefined ? '—' : r.relL2.toExponential(2)}`);
    }
    console.log('RSS while alive: growth of this process while the session lived; sessions after the first reuse freed memory, so compare peaks with `npm run bench -- memory`.');
  },
};
