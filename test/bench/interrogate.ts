// Interrogate and aesthetic-embedding figures: each network's time at the fixtures' sizes (session made once; min
// and median of several runs), its multiply-accumulates there and at the real files' sizes (graphs built from
// shapes only, interrogateShapes.ts), and the real-size time those MACs take at ONNX Runtime's measured fp32 rates
// on this machine (150–350 GFLOP/s, measured with onnxruntime-node's MatMul). On a shared machine the figures are
// noisy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildBlipDecoder, buildBlipEncoder } from '../../models/arch/blip';
import { buildClipTextFeatures } from '../../models/arch/clip/textFeatures';
import { buildTextTraining, type TextTrainingShape } from '../../models/arch/clip/textTraining';
import { buildClipVision } from '../../models/arch/clip/vision';
import { buildDeepDanbooru } from '../../models/arch/deepDanbooru';
import { writeExternalModel } from '../../models/arch/externalModel';
import type { BuiltPart } from '../../models/arch/unet';
import type { TensorRecord } from '../../models/formats/tensorRecord';
import { Adam } from '../../daemon/parts/adam';
import { interrogateWeights } from '../fixtures/interrogateTiny';
import { visionWeights } from '../fixtures/visionTiny';
import { asRecords } from './faceShapes';
import { graphMacs } from './graphMacs';
import { BLIP_BASE, blipShapes, clipShapes, deepDanbooruShapes, VIT_L_14 } from './interrogateShapes';
import type { Bench } from './registry';

const RUNS = Number(process.env.SD_STUDIO_BENCH_RUNS ?? 5);
const stats = (ms: number[]): { min: number; median: number } => {
  const s = [...ms].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]! };
};

async function timeSession(path: string, feeds: Record<string, ort.Tensor>, outputs?: string[]): Promise<{ min: number; median: number }> {
  const s = await ort.InferenceSession.create(path, { executionProviders: ['cpu'] });
  try {
    const run = (): Promise<unknown> => (outputs ? s.run(feeds, outputs) : s.run(feeds));
    await run();
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await run();
      ms.push(performance.now() - t);
    }
    return stats(ms);
  } finally {
    await s.release();
  }
}

async function time(part: BuiltPart, feeds: Record<string, ort.Tensor>, dir: string, outputs?: string[]): Promise<{ min: number; median: number }> {
  return timeSession((await writeExternalModel(part.g, part.params.plan, dir)).modelPath, feeds, outputs);
}

function sameKeys(name: string, ours: ReadonlyMap<string, number[]>, fixture: ReadonlyMap<string, TensorRecord>): void {
  const bad: string[] = [];
  for (const [k, r] of fixture) if (ours.get(k)?.join('x') !== r.shape.join('x')) bad.push(`${k} ${ours.get(k)?.join('x') ?? 'missing'} vs ${r.shape.join('x')}`);
  for (const k of ours.keys()) if (!fixture.has(k)) bad.push(`${k} extra`);
  console.log(`shape generator ${name}: ${bad.length === 0 ? 'matches the fixture key for key' : `${bad.length} differences: ${bad.slice(0, 4).join('; ')}`}`);
}

const G = (macs: number): string => `${(macs / 1e9).toFixed(3)} GMAC`;
/** Seconds for `macs` at 150 and 350 GFLOP/s (2 FLOP per MAC). */
const atRates = (macs: number): string => `${((2 * macs) / 350e9).toFixed(2)}–${((2 * macs) / 150e9).toFixed(2)} s`;
const line = (name: string, t: { min: number; median: number }, fixture: number, real: number): void =>
  console.log(`${name.padEnd(34)} fixture ${t.min.toFixed(1)} / ${t.median.toFixed(1)} ms (min / median), ${G(fixture)} · real ${G(real)} → ${atRates(real)}`);

const zeros = (dims: number[]): ort.Tensor => new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.1), dims);
const ids = (b: number, t: number, max: number): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from({ length: b * t }, (_, i) => BigInt((i * 7) % max)), [b, t]);

export const interrogateBench: Bench = {
  default: false,
  summary: 'interrogate (CLIP image/text, BLIP caption, DeepDanbooru) and aesthetic training step: fixture times, MACs at fixture and real sizes, real-size estimates',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'bench-interrogate-'));
    try {
      sameKeys('CLIP ViT (vision-tiny clip-vit)', clipShapes({ vision: { width: 128, layers: 2, patch: 14, size: 224 }, embed: 64 }), await visionWeights('clip-vit'));
      sameKeys('DeepDanbooru (vision-tiny, /16, 300 tags)', deepDanbooruShapes(16, 300), await visionWeights('deepdanbooru'));
      const blipTiny = await interrogateWeights('blip-tiny.safetensors');
      sameKeys('BLIP (interrogate-tiny blip)', blipShapes({ vit: { width: 64, layers: 1, patch: 8, size: 16 }, bert: { hidden: 64, layers: 2, inter: 128, vocab: 40, positions: 32 } }), blipTiny);

      // CLIP image encoder (interrogate ranking, aesthetic create: one run per image)
      const visTiny = buildClipVision(await visionWeights('clip-vit'));
      const visReal = buildClipVision(asRecords(clipShapes(VIT_L_14)));
      line('CLIP ViT-L/14 image (per image)', await time(visTiny, { image: zeros([1, 3, 224, 224]) }, join(dir, 'v')),
        graphMacs(visTiny.g, visTiny.params.plan, { image: [1, 3, 224, 224] }), graphMacs(visReal.g, visReal.params.plan, { image: [1, 3, 224, 224] }));

      // CLIP text features: one prompt-length text, and a term list of 1500 short terms (8 tokens; cached after)
      const clipTiny = await interrogateWeights('clip-tiny.pt');
      const txtTiny = buildClipTextFeatures(clipTiny);
      const txtReal = buildClipTextFeatures(asRecords(clipShapes(VIT_L_14)));
      const batch = (t: BuiltPart, b: number, n: number): number => graphMacs(t.g, t.params.plan, { input_ids: [b, n], eot_index: [b] });
      const tText = await time(txtTiny, { input_ids: ids(32, 8, 60), eot_index: new ort.Tensor('int64', BigInt64Array.from({ length: 32 }, () => 7n), [32]) }, join(dir, 't'));
      line('CLIP text, 32 terms × 8 tokens', tText, batch(txtTiny, 32, 8), batch(txtReal, 32, 8));
      console.log(`  a 1500-line list at real size: ${G(batch(txtReal, 1500, 8))} → ${atRates(batch(txtReal, 1500, 8))} (once per list and model; cached on disk)`);

      // BLIP: encoder once, then a greedy caption of 48 tokens (prompt 4): one decoder step per length 4..47
      const encTiny = buildBlipEncoder(blipTiny, { heads: 2, visionHeads: 2 });
      const decTiny = buildBlipDecoder(blipTiny, { heads: 2, visionHeads: 2 });
      const blipReal = asRecords(blipShapes(BLIP_BASE));
      const encReal = buildBlipEncoder(blipReal);
      const decReal = buildBlipDecoder(blipReal);
      const encIn = { image: [1, 3, 16, 16] };
      line('BLIP encoder (per image)', await time(encTiny, { image: zeros([1, 3, 16, 16]) }, join(dir, 'e')), graphMacs(encTiny.g, encTiny.params.plan, encIn),
        graphMacs(encReal.g, encReal.params.plan, { image: [1, 3, 384, 384] }));
      const cross = (layers: number, heads: number, n: number, d: number): Record<string, number[]> => {
        const o: Record<string, number[]> = {};
        for (let i = 0; i < layers; i++) for (const kv of ['k', 'v']) o[`cross_${kv}_${i}`] = [1, heads, n, d];
        return o;
      };
      const feeds: Record<string, ort.Tensor> = { input_ids: ids(1, 24, 40) };
      for (const [k, d] of Object.entries(cross(2, 2, 5, 32))) feeds[k] = zeros(d);
      const tDec = await time(decTiny, feeds, join(dir, 'd'));
      let realCaption = 0;
      let tinyCaption = 0;
      for (let L = 4; L < 48; L++) {
        realCaption += graphMacs(decReal.g, decReal.params.plan, { input_ids: [1, L], ...cross(12, 12, 577, 64) });
        tinyCaption += graphMacs(decTiny.g, decTiny.params.plan, { input_ids: [1, Math.min(L, 32)], ...cross(2, 2, 5, 32) });
      }
      line('BLIP decoder step (24 tokens)', tDec, graphMacs(decTiny.g, decTiny.params.plan, { input_ids: [1, 24], ...cross(2, 2, 5, 32) }),
        graphMacs(decReal.g, decReal.params.plan, { input_ids: [1, 24], ...cross(12, 12, 577, 64) }));
      console.log(`  a 48-token greedy caption (44 steps): fixture ${G(tinyCaption)}, real ${G(realCaption)} → ${atRates(realCaption)}; × num_beams with beams`);

      // DeepDanbooru at A1111's 512×512
      const ddbTiny = buildDeepDanbooru(await visionWeights('deepdanbooru'));
      const ddbReal = buildDeepDanbooru(asRecords(deepDanbooruShapes()));
      line('DeepDanbooru 512 px (per image)', await time(ddbTiny, { image: zeros([1, 3, 512, 512]) }, join(dir, 'b')),
        graphMacs(ddbTiny.g, ddbTiny.params.plan, { image: [1, 3, 512, 512] }), graphMacs(ddbReal.g, ddbReal.params.plan, { image: [1, 3, 512, 512] }));

      // Aesthetic: one forward + backward step of the CLIP text tower on one 77-token chunk
      const shapeTiny: TextTrainingShape = { width: 128, layers: 1, heads: 2, tokens: 77, mlp: 512, embedDim: 32 };
      const shapeReal: TextTrainingShape = { width: 768, layers: 12, heads: 12, tokens: 77, mlp: 3072, embedDim: 768 };
      const trainIn = (s: TextTrainingShape): Record<string, number[]> => ({ tok: [1, 77, s.width], eot_onehot: [1, 77], target: [1, s.embedDim], proj: [s.embedDim, s.width] });
      const gTiny = buildTextTraining(shapeTiny);
      const gReal = buildTextTraining(shapeReal);
      const macsTiny = graphMacs(gTiny, [], trainIn(shapeTiny));
      const macsReal = graphMacs(gReal, [], trainIn(shapeReal));
      const tFeeds: Record<string, ort.Tensor> = {};
      for (const i of gTiny.snapshot().inputs) tFeeds[i.name] = zeros((i.dims ?? []).map((d) => (typeof d === 'number' ? d : 1)));
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(dir, 'train.onnx'), gTiny.toBytes());
      line('aesthetic step (fwd+bwd, 1 chunk)', await timeSession(join(dir, 'train.onnx'), tFeeds, ['loss', ...gTiny.snapshot().outputs.filter((o) => o.name.startsWith('grad_')).map((o) => o.name)]), macsTiny, macsReal);
      // Adam over the real text tower's parameters (123M incl. the embedding table; only used rows move): JS speed
      const n = 8_000_000;
      const p = new Map([['w', new Float32Array(n).fill(0.1)]]);
      const grad = new Map([['w', new Float32Array(n).fill(0.01)]]);
      const adam = new Adam(1e-4);
      const ms: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        adam.step(p, grad);
        ms.push(performance.now() - t);
      }
      const per = stats(ms).min / n;
      console.log(`  Adam in JS: ${(per * 1e6).toFixed(2)} ms per million values → ${((per * 85e6) / 1000).toFixed(2)} s per step for ViT-L/14's 85M non-embedding text parameters`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
