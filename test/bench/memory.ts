// `npm run bench -- memory [--sets "default;prepack=off;arena=off"] [--variants fp32]`: ONNX Runtime's memory options
// measured one at a time, each in a fresh process (peak RSS of a process never comes down, so options must not
// share one): the UNet bench in a child under /usr/bin/time, its peak RSS and step time per option set.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { flag } from './unet';
import type { Bench } from './registry';

export const memoryBench: Bench = {
  summary: 'ONNX Runtime memory options (pre-packing, arena, memory patterns) for the full-size UNet: peak RSS and step time, one process each',
  default: false,
  async run(args) {
    const sets = flag(args, 'sets', 'default;prepack=off;arena=off;prepack=off,arena=off').split(';');
    const variants = flag(args, 'variants', 'fp32');
    const rounds = flag(args, 'rounds', '1');
    console.log('variant  memory options            peak RSS    step min / median    session');
    for (const set of sets) {
      const memory = set === 'default' ? [] : ['--memory', set];
      const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, resolve('dist/bench.js'), 'unet', '--variants', variants, '--rounds', rounds, '--calls', '3', '--json', ...memory], { encoding: 'utf8' });
      const json = r.stdout.trim().split('\n').find((l) => l.startsWith('{'));
      const peak = /(\d+)\s*$/.exec(r.stderr)?.[1];
      if (r.status !== 0 || !json || !peak) throw new Error(`${set}: exit ${r.status}\n${r.stderr.slice(-1500)}`);
      for (const row of (JSON.parse(json) as { rows: Array<{ name: string; stepMin: number; stepMedian: number; sessionMedian: number }> }).rows) {
        console.log(`${row.name.padEnd(8)} ${set.padEnd(25)} ${(Number(peak) / 2 ** 20).toFixed(2).padStart(6)} GiB   ${(row.stepMin / 1000).toFixed(2)} / ${(row.stepMedian / 1000).toFixed(2)} s       ${(row.sessionMedian / 1000).toFixed(1)} s`);
      }
    }
  },
};
