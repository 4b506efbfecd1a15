// Face-restoration figures: each network's time at the vision-tiny fixture's size (session made once; min and
// median of several runs), its multiply-accumulates there and at the real file's size (graphs built from shapes
// only, faceShapes.ts), and the real-size time estimated as fixture time × MAC ratio. Plus the JS stages per face
// (alignment warp, parse mask, paste-back). On a shared machine the figures are noisy: say so when quoting them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildCodeFormer } from '../../models/arch/faces/codeformer';
import { buildGfpgan } from '../../models/arch/faces/gfpgan';
import { buildParseNet } from '../../models/arch/faces/parsenet';
import { buildRetinaFace } from '../../models/arch/faces/retinaface';
import { writeExternalModel } from '../../models/arch/externalModel';
import type { BuiltPart } from '../../models/arch/unet';
import { openWeights } from '../../models/formats/open';
import { netStateDict } from '../../models/formats/netStateDict';
import type { TensorRecord } from '../../models/formats/tensorRecord';
import { alignFace } from '../../daemon/extras/faces/align';
import { parseMask } from '../../daemon/extras/faces/parseMask';
import { pasteFaces } from '../../daemon/extras/faces/pasteBack';
import { visionWeights } from '../fixtures/visionTiny';
import { asRecords, codeFormerShapes, parseNetShapes, retinaFaceShapes, scaledGfpganShapes } from './faceShapes';
import { graphMacs } from './graphMacs';
import type { Bench } from './registry';

const RUNS = Number(process.env.SD_STUDIO_BENCH_RUNS ?? 5);

function stats(ms: number[]): { min: number; median: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]! };
}

async function time(part: BuiltPart, feeds: Record<string, ort.Tensor>, dir: string): Promise<{ min: number; median: number }> {
  const w = await writeExternalModel(part.g, part.params.plan, dir);
  const s = await ort.InferenceSession.create(w.modelPath, { executionProviders: ['cpu'] });
  try {
    await s.run(feeds);
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await s.run(feeds);
      ms.push(performance.now() - t);
    }
    return stats(ms);
  } finally {
    await s.release();
  }
}

/** Same keys and shapes (num_batches_tracked aside): the shape generator describes the real architecture. */
function sameShapes(name: string, ours: ReadonlyMap<string, TensorRecord>, fixture: ReadonlyMap<string, TensorRecord>): void {
  const bad: string[] = [];
  for (const [k, r] of fixture) if (!k.endsWith('num_batches_tracked') && ours.get(k)?.shape.join('x') !== r.shape.join('x')) bad.push(`${k} ${ours.get(k)?.shape.join('x') ?? 'missing'} vs ${r.shape.join('x')}`);
  for (const k of ours.keys()) if (!fixture.has(k) && !k.endsWith('num_batches_tracked')) bad.push(`${k} extra`);
  console.log(`shape generator ${name}: ${bad.length === 0 ? 'matches the fixture key for key' : `${bad.length} differences: ${bad.slice(0, 4).join('; ')}`}`);
}

const img = (c: number, h: number, w: number, v = 0.1): ort.Tensor => new ort.Tensor('float32', new Float32Array(c * h * w).fill(v), [1, c, h, w]);

export const facesBench: Bench = {
  summary: 'RetinaFace / GFPGAN / CodeFormer / ParseNet: fixture-size timings, MACs at fixture and real sizes, estimated real-size times; JS face stages',
  default: false,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'sd-bench-faces-'));
    try {
      const fx = {
        retina: await visionWeights('retinaface'),
        gfpgan: await visionWeights('gfpgan'),
        codeformer: await visionWeights('codeformer'),
        parse: netStateDict(await openWeights(resolve('test/fixtures/parsenet-tiny/parsenet.safetensors'))),
      };
      sameShapes('RetinaFace (base 8, FPN 80)', asRecords(retinaFaceShapes(8, 80)), fx.retina);
      sameShapes('CodeFormer (nf 32, [1,2,2,1,1,2], dim 64, 3 layers)', asRecords(codeFormerShapes({ nf: 32, chMult: [1, 2, 2, 1, 1, 2], dim: 64, layers: 3 })), fx.codeformer);
      sameShapes('ParseNet (base 4, [4, 16], 2 blocks)', asRecords(parseNetShapes(4, 4, 16, 2)), fx.parse);

      // A1111 detects on the image resized to a 640 short side: a 4:3 photo is 853×640.
      const rows: Array<{ name: string; fixture: BuiltPart; real: BuiltPart; inputs: Record<string, number[]>; feeds: Record<string, ort.Tensor> }> = [
        { name: 'RetinaFace @853×640', fixture: buildRetinaFace(fx.retina), real: buildRetinaFace(asRecords(retinaFaceShapes())), inputs: { image: [1, 3, 640, 853] }, feeds: { image: img(3, 640, 853, 10) } },
        { name: 'GFPGAN v1.4 @512', fixture: buildGfpgan(fx.gfpgan), real: buildGfpgan(asRecords(scaledGfpganShapes(fx.gfpgan, 16))), inputs: { image: [1, 3, 512, 512] }, feeds: { image: img(3, 512, 512) } },
        {
          name: 'CodeFormer @512', fixture: buildCodeFormer(fx.codeformer), real: buildCodeFormer(asRecords(codeFormerShapes())), inputs: { image: [1, 3, 512, 512], w: [1] },
          feeds: { image: img(3, 512, 512), w: new ort.Tensor('float32', Float32Array.of(0.5), [1]) },
        },
        { name: 'ParseNet @512', fixture: buildParseNet(fx.parse), real: buildParseNet(asRecords(parseNetShapes())), inputs: { image: [1, 3, 512, 512] }, feeds: { image: img(3, 512, 512) } },
      ];
      const measured: Array<{ name: string; fixMacs: number; realMacs: number; min: number }> = [];
      for (const r of rows) {
        const fixMacs = graphMacs(r.fixture.g, r.fixture.params.plan, r.inputs);
        const realMacs = graphMacs(r.real.g, r.real.params.plan, r.inputs);
        const t = await time(r.fixture, r.feeds, mkdtempSync(join(dir, 'm-')));
        measured.push({ name: r.name, fixMacs, realMacs, min: t.min });
        console.log(`${r.name}: fixture ${(fixMacs / 1e9).toFixed(2)} GMAC, min ${t.min.toFixed(0)} ms / median ${t.median.toFixed(0)} ms (${((2 * fixMacs) / (t.min * 1e6)).toFixed(1)} GFLOP/s)`);
      }
      // Narrow fixture convs run far below the CPU's dense rate, so the real widths are estimated twice: at the
      // network's own fixture rate (pessimistic) and at the best rate any fixture reached here (wide convs).
      const best = Math.max(...measured.map((m) => (2 * m.fixMacs) / (m.min * 1e6)));
      for (const m of measured) {
        const own = (m.min * m.realMacs) / m.fixMacs / 1000;
        const dense = (2 * m.realMacs) / (best * 1e9);
        console.log(`${m.name}: real file ${(m.realMacs / 1e9).toFixed(1)} GMAC (${(m.realMacs / m.fixMacs).toFixed(1)}× the fixture) → est. ${dense.toFixed(1)} s at ${best.toFixed(1)} GFLOP/s, ${own.toFixed(1)} s at its fixture's rate`);
      }

      // The JS stages of one face at 512: alignment warp, parse mask (two 101-tap blurs), paste-back with it.
      const photo = { data: new Uint8Array(1024 * 768 * 3).fill(128), width: 1024, height: 768 };
      const lm = Float64Array.of(450, 350, 570, 350, 510, 420, 460, 480, 560, 480);
      const classes = new Uint8Array(512 * 512).map((_, i) => ((i >> 9) > 100 && (i >> 9) < 420 && (i & 511) > 90 && (i & 511) < 420 ? 1 : 0));
      const ms = { align: [] as number[], mask: [] as number[], paste: [] as number[] };
      for (let i = 0; i < RUNS; i++) {
        let t = performance.now();
        const a = alignFace(photo, lm, 512);
        ms.align.push(performance.now() - t);
        t = performance.now();
        const mask = parseMask(classes, 512);
        ms.mask.push(performance.now() - t);
        t = performance.now();
        pasteFaces(photo, [{ face: a.face, inverse: a.inverse, mask }]);
        ms.paste.push(performance.now() - t);
      }
      for (const [k, v] of Object.entries(ms)) console.log(`JS ${k} per face: min ${stats(v).min.toFixed(0)} ms, median ${stats(v).median.toFixed(0)} ms`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
