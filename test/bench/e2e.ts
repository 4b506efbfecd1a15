// `npm run bench -- e2e [options]`: img2img end to end on a full-size SD1.5 checkpoint (default: the random one of
// bench/randomCheckpoint.ts; TAESD files random at full width), 512 px, through the real CLI — daemon start, model
// load from the cache, sessions, sampling, decode, PNG — timed from outside, peak RSS of the process tree from
// /usr/bin/time. Options alternate within each repetition. With --stages each option also runs once in a child
// process that reports the RSS peak of every stage (load, text encoder, VAE encode, UNet, VAE decode).
//   --options fp32,tome0.3,tome0.5,int8,cfg1,taesd,lcm4,fast,lcm4+enc,fast+enc   --reps 3   --stages   --checkpoint FILE
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { drawDemoImage } from '../../daemon/cli/demoImage';
import { checkpointToOnnx } from '../../models/checkpointToOnnx';
import { sharedPath } from '../sharedPath';
import { randomSd15Checkpoint } from './randomCheckpoint';
import { randomTaesdRoot } from './randomTaesd';
import { runStagesChild } from './e2eStages';
import { flag } from './unet';
import type { Bench } from './registry';

/** A few-step model: 4 steps exactly (A1111 "do exactly the steps given"), CFG 1, TAESD decode. */
const LCM4 = ['--sampler', 'LCM', '--steps', '4', '--fix-steps', '--cfg-scale', '1', '--vae-decode', 'taesd'];
/** What a user after speed turns on for a normal model: token merging 0.5, NGMS, TAESD decode, int8. */
const FAST = ['--token-merging-ratio', '0.5', '--s-min-uncond', '15', '--vae-decode', 'taesd', '--unet-precision', 'int8'];
/** TAESD for the encode too (the full VAE encoder costs ~2 UNet steps at 512 px). */
const TAESD_ENCODE = ['--vae-encode', 'taesd'];

/** CLI flags per option, added to a 20-step Euler a img2img at denoising 0.75, CFG 7. */
export const OPTIONS: Record<string, string[]> = {
  fp32: [],
  'tome0.3': ['--token-merging-ratio', '0.3'],
  'tome0.5': ['--token-merging-ratio', '0.5'],
  int8: ['--unet-precision', 'int8'],
  cfg1: ['--cfg-scale', '1'],
  ngms: ['--s-min-uncond', '15'],
  taesd: ['--vae-decode', 'taesd'],
  lcm4: LCM4,
  fast: FAST,
  'lcm4+enc': [...LCM4, ...TAESD_ENCODE],
  'fast+enc': [...FAST, ...TAESD_ENCODE],
};

export function cliArgs(checkpoint: string, init: string, out: string, option: string): string[] {
  return ['img2img', '--model', checkpoint, '-i', init, '-p', 'a lighthouse on a cliff at dusk, oil painting', '-n', 'blurry',
    '--sampler', 'Euler a', '--steps', '20', '-d', '0.75', '--cfg-scale', '7', '--seed', '1', '-W', '512', '-H', '512', '--threads', '2', '--outdir', out,
    ...(OPTIONS[option] ?? [])];
}

const stats = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor((s.length - 1) / 2)]! };
};

export const e2eBench: Bench = {
  summary: '512 px img2img end to end through the CLI on a full-size SD1.5 checkpoint, per speed option: seconds and peak RSS (min, median)',
  default: false,
  async run(args) {
    const child = flag(args, 'child');
    if (child) return runStagesChild(child, args);
    const options = flag(args, 'options', 'fp32,tome0.3,tome0.5,int8,cfg1,taesd,lcm4,fast').split(',');
    for (const o of options) if (!(o in OPTIONS)) throw new Error(`unknown option "${o}"; known: ${Object.keys(OPTIONS).join(', ')}`);
    const reps = Number(flag(args, 'reps', '3'));
    const checkpoint = resolve(flag(args, 'checkpoint') ?? (await randomSd15Checkpoint()));
    const root = await randomTaesdRoot();
    const work = mkdtempSync(join(tmpdir(), 'sd-e2e-'));
    const init = join(work, 'init.png');
    writeFileSync(init, await drawDemoImage(512, 512));
    const env = { ...process.env, SD_STUDIO_TOKENIZER: sharedPath('models-fixtures', 'clip-tokenizer'), SD_STUDIO_MODELS_ROOT: root };
    // Graphs built beforehand: the runs time generation, not a first build.
    for (const unet of [{}, { tokenMerging: true }, { precision: 'int8' as const }, { precision: 'int8' as const, tokenMerging: true }]) {
      await checkpointToOnnx({ checkpoint, unet, tokenizerDir: env.SD_STUDIO_TOKENIZER });
    }
    const results = new Map<string, Array<{ s: number; cpu: number; rss: number }>>(options.map((o) => [o, []]));
    try {
      for (let rep = 0; rep < reps; rep++) {
        for (const o of options) {
          const r = spawnSync('/usr/bin/time', ['-f', '%U %S %e %M', process.execPath, resolve('dist/cli.js'), ...cliArgs(checkpoint, init, join(work, 'out'), o)], { env, encoding: 'utf8' });
          const m = /(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+)\s*$/.exec(r.stderr);
          if (r.status !== 0 || !m) throw new Error(`${o}: exit ${r.status}\n${r.stderr.slice(-2000)}`);
          results.get(o)!.push({ s: Number(m[3]), cpu: Number(m[1]) + Number(m[2]), rss: Number(m[4]) * 1024 });
          console.log(`  rep ${rep + 1} ${o}: ${m[3]} s (CPU ${(Number(m[1]) + Number(m[2])).toFixed(0)} s), peak RSS ${(Number(m[4]) / 2 ** 20).toFixed(2)} GiB, load ${loadavg()[0]!.toFixed(1)}`);
        }
      }
      console.log('\noption    end to end min / median     CPU s min / median    peak RSS min / median');
      for (const [o, rs] of results) {
        const t = stats(rs.map((r) => r.s));
        const c = stats(rs.map((r) => r.cpu));
        const m = stats(rs.map((r) => r.rss));
        console.log(`${o.padEnd(9)} ${t.min.toFixed(1).padStart(7)} s / ${t.median.toFixed(1).padStart(6)} s     ${c.min.toFixed(0).padStart(5)} / ${c.median.toFixed(0).padStart(5)} s     ${(m.min / 2 ** 30).toFixed(2)} / ${(m.median / 2 ** 30).toFixed(2)} GiB`);
      }
      if (args.includes('--stages')) {
        for (const o of options) {
          const r = spawnSync(process.execPath, [resolve('dist/bench.js'), 'e2e', '--child', o, '--checkpoint', checkpoint, '--init', init, '--out', join(work, 'out')], { env, encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`${o} (stages): exit ${r.status}\n${r.stderr.slice(-2000)}`);
          console.log(`${o}: ${r.stdout.trim().split('\n').pop()}`);
        }
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
