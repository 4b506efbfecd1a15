import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readClipTextWeights, type ClipTextWeights } from '../../../models/arch/clip/textWeights';
import { textTrainingOnnx } from '../../../models/textTrainingCache';
import { SessionPool } from '../../../models/sessions';
import { ClipTextTrainer } from '../../../daemon/parts/clipTextTrainer';
import { applyAesthetic, aestheticTarget, aestheticTokens, normalized, type AestheticSettings } from '../../../daemon/stages/conditioning/aesthetic';
import type { ClipTokenizer } from '../../../daemon/prompt/clipTokenizer';
import { report } from '../arch/archHelpers';
import { ioF32, maxAbs, maxAbsDiff, type IoTensor } from '../../fixtures/visionTiny';
import { interrogateFixture, interrogateIo, interrogateWeights } from '../../fixtures/interrogateTiny';

interface Case { name: string; steps: number; lr: number; weight: number; slerp: boolean; text: boolean; negative: boolean; angle: number; skip: number }
const cases = JSON.parse(readFileSync(interrogateFixture('aesthetic-cases.json'), 'utf8')) as Case[];
// The fixture's tokenizer ids: BOS 62, EOS 63, and "aesthetic text" → [21, 7, 11].
const tokenizer = { bosId: 62, eosId: 63, encode: () => [21, 7, 11] } as unknown as ClipTokenizer;

describe('aesthetic gradients on the tiny CLIP text tower (PyTorch autograd + torch.optim.Adam reference)', () => {
  let io: Map<string, IoTensor>;
  let weights: ClipTextWeights;
  let pool: SessionPool;
  let trainer: ClipTextTrainer;
  let dir: string;
  const chunks = (): Int32Array[] => {
    const all = io.get('aesthetic_chunks')!.data as BigInt64Array;
    return [0, 1].map((b) => Int32Array.from(all.subarray(b * 77, (b + 1) * 77), Number));
  };
  const settings = (c: Case): AestheticSettings => ({
    name: 'tiny', embedding: normalized(ioF32(io, 'aesthetic_image_embs_raw')), weight: c.weight, steps: c.steps, lr: c.lr,
    slerp: c.slerp, slerpAngle: c.angle, text: c.text ? 'aesthetic text' : '', textNegative: c.negative,
  });
  before(async () => {
    io = await interrogateIo('clip-tiny.io.safetensors');
    weights = await readClipTextWeights(await interrogateWeights('clip-tiny.pt'));
    dir = mkdtempSync(join(tmpdir(), 'aesthetic-'));
    pool = new SessionPool({ provider: 'cpu', threads: 1 });
    trainer = new ClipTextTrainer(await pool.get(await textTrainingOnnx(weights.shape, dir)), weights);
  });
  after(async () => {
    await pool.disposeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the backward pass: first-step gradients of every kind of weight', async () => {
    const c = cases.find((x) => x.name === 'plain')!;
    const target = await aestheticTarget(settings(c), trainer, tokenizer);
    assert.ok(maxAbsDiff(target, ioF32(io, 'aesthetic_plain_target')) < 1e-6);
    const ids = chunks().map((x) => aestheticTokens(x, 62, 63));
    // One step at lr 0 leaves the weights alone; the graph's gradients are read straight from the session.
    const session = await pool.get(await textTrainingOnnx(weights.shape, dir));
    const feeds = (trainer as unknown as { feeds(w: ClipTextWeights, ids: Int32Array[], t: Float32Array): Record<string, never> }).feeds(weights, ids, target);
    const out = await session.run(feeds, ['grad_tok', 'grad_pos', 'grad_L0.q_w', 'grad_L0.fc1_w', 'grad_lnf_w']);
    const W = 128;
    const gTok = new Float32Array(64 * W);
    ids.forEach((row, b) => row.forEach((id, t) => {
      for (let ch = 0; ch < W; ch++) gTok[id * W + ch]! += (out.grad_tok!.data as Float32Array)[(b * 77 + t) * W + ch]!;
    }));
    const checks: Array<[string, Float32Array, string]> = [
      ['token_embedding', gTok, 'aesthetic_plain_grad_token_embedding'],
      ['position_embedding', out.grad_pos!.data as Float32Array, 'aesthetic_plain_grad_position_embedding'],
      ['q_proj.weight', out['grad_L0.q_w']!.data as Float32Array, 'aesthetic_plain_grad_q_w'],
      ['fc1.weight (rows 0-31)', (out['grad_L0.fc1_w']!.data as Float32Array).subarray(0, 32 * W), 'aesthetic_plain_grad_fc1_w_rows'],
      ['final_layer_norm.weight', out.grad_lnf_w!.data as Float32Array, 'aesthetic_plain_grad_lnf_w'],
    ];
    for (const [what, got, ref] of checks) {
      const r = ioF32(io, ref);
      const err = maxAbsDiff(got, r);
      const tol = 1e-4 * maxAbs(r);
      report(`grad ${what}`, err, tol);
      assert.ok(err <= tol, `${what}: ${err} (max ${maxAbs(r)})`);
    }
  });

  for (const c of cases) {
    it(`Adam steps, tuned hidden states and the mix: ${c.name} (${c.slerp ? 'slerp' : 'linear'} ${c.weight}, ${c.steps} steps, lr ${c.lr}${c.text ? ', negative text, slerp angle ' + c.angle : ''}, CLIP skip ${c.skip})`, async () => {
      const losses: number[] = [];
      const spy = new Proxy(trainer, {
        get: (t, k) => (k === 'tune' ? (ids: Int32Array[], target: Float32Array, o: Parameters<ClipTextTrainer['tune']>[2]) => t.tune(ids, target, { ...o, onStep: (_s, l) => losses.push(l) }) : Reflect.get(t, k)),
      });
      const z = await applyAesthetic(ioF32(io, 'aesthetic_z'), chunks(), settings(c), spy, tokenizer, { clipSkip: c.skip });
      const refLoss = ioF32(io, `aesthetic_${c.name}_losses`);
      const lossErr = maxAbsDiff(losses, refLoss);
      report(`${c.name} losses ${[...refLoss].map((x) => x.toFixed(5)).join(' ')}`, lossErr, 1e-5);
      assert.ok(lossErr <= 1e-5, String(lossErr));
      const ref = ioF32(io, `aesthetic_${c.name}_z`);
      const err = maxAbsDiff(z, ref);
      const tol = 2e-4 * Math.max(1, maxAbs(ref));
      report(`${c.name} conditioning after the mix`, err, tol);
      assert.ok(err <= tol, String(err));
      // the tuned model really moved: the mix differs from mixing with the untuned hidden states
      const untuned = await applyAesthetic(ioF32(io, 'aesthetic_z'), chunks(), { ...settings(c), lr: 1e-12 }, trainer, tokenizer, { clipSkip: c.skip });
      assert.ok(maxAbsDiff(untuned, ref) > 10 * tol, 'the optimisation changed nothing');
    });
  }
});
