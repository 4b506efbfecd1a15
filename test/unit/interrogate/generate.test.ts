import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { generate } from '../../../daemon/interrogate/generate';
import { BertTokenizer } from '../../../daemon/interrogate/bertTokenizer';
import { buildBlipDecoder, buildBlipEncoder } from '../../../models/arch/blip';
import { writeExternalModel } from '../../../models/arch/externalModel';
import { cleanup, tempDir } from '../arch/archHelpers';
import { ioF32 } from '../../fixtures/visionTiny';
import { interrogateFixture, interrogateIo, interrogateWeights } from '../../fixtures/interrogateTiny';

interface Ref {
  toy_table: number[][];
  toy_runs: Array<{ name: string; prompt: number[]; beams: number; min: number; max: number; eos_bias: number }>;
  blip_generate: { prompt: number[]; eos: number; pad: number };
  runs: Record<string, number[]>;
}
const ref = JSON.parse(readFileSync(interrogateFixture('reference.json'), 'utf8')) as Ref;

describe('caption generation as transformers 4.30 greedy_search / beam_search (reference: our transcription, run in PyTorch)', () => {
  for (const r of ref.toy_runs) {
    it(`toy next-token table: ${r.name} (${r.beams} beam${r.beams > 1 ? 's' : ''}, min ${r.min}, max ${r.max})`, async () => {
      const model = async (seqs: readonly number[][]): Promise<Float32Array> => {
        const out = new Float32Array(seqs.length * 7);
        seqs.forEach((s, b) => ref.toy_table[s[s.length - 1]!]!.forEach((v, t) => (out[b * 7 + t] = Math.fround(v + (t === 6 ? Math.fround(r.eos_bias * s.length) : 0)))));
        return out;
      };
      const got = await generate(model, { prompt: r.prompt, numBeams: r.beams, minLength: r.min, maxLength: r.max, eos: 6, pad: 5 });
      assert.deepEqual(got, ref.runs[r.name]);
    });
  }

  it('min_length keeps EOS out and max_length stops a sequence', async () => {
    // EOS (2) is always the most likely token: greedy stops at once unless min_length holds it back.
    const model = async (seqs: readonly number[][]): Promise<Float32Array> => Float32Array.from(seqs.flatMap(() => [0, 1, 5]));
    assert.deepEqual(await generate(model, { prompt: [0], numBeams: 1, minLength: 0, maxLength: 9, eos: 2, pad: 0 }), [0, 2]);
    assert.deepEqual(await generate(model, { prompt: [0], numBeams: 1, minLength: 4, maxLength: 9, eos: 2, pad: 0 }), [0, 1, 1, 1, 2]);
    assert.deepEqual(await generate(model, { prompt: [0], numBeams: 2, minLength: 4, maxLength: 9, eos: 2, pad: 0 }), [0, 1, 1, 1, 2]);
    const never = async (seqs: readonly number[][]): Promise<Float32Array> => Float32Array.from(seqs.flatMap(() => [0, 1, -50]));
    assert.deepEqual(await generate(never, { prompt: [0], numBeams: 1, minLength: 0, maxLength: 5, eos: 2, pad: 0 }), [0, 1, 1, 1, 1]);
  });

  describe('on the tiny BLIP', () => {
    let step: (seqs: readonly number[][]) => Promise<Float32Array>;
    let sessions: ort.InferenceSession[] = [];
    before(async () => {
      const w = await interrogateWeights('blip-tiny.safetensors');
      const io = await interrogateIo('blip-tiny.io.safetensors');
      const open = async (b: ReturnType<typeof buildBlipEncoder>): Promise<ort.InferenceSession> => {
        const s = await ort.InferenceSession.create((await writeExternalModel(b.g, b.params.plan, await tempDir())).modelPath, { intraOpNumThreads: 1 });
        sessions.push(s);
        return s;
      };
      const enc = await (await open(buildBlipEncoder(w, { heads: 2, visionHeads: 2 }))).run({ image: new ort.Tensor('float32', ioF32(io, 'image'), [1, 3, 16, 16]) });
      const dec = await open(buildBlipDecoder(w, { heads: 2, visionHeads: 2 }));
      step = async (seqs) => {
        const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', BigInt64Array.from(seqs.flat(), BigInt), [seqs.length, seqs[0]!.length]) };
        for (let i = 0; i < 2; i++) for (const kv of ['k', 'v']) feeds[`cross_${kv}_${i}`] = enc[`cross_${kv}_${i}`]!;
        return (await dec.run(feeds, ['logits'])).logits!.data as Float32Array;
      };
    });
    after(async () => {
      for (const s of sessions) await s.release();
      sessions = [];
      await cleanup();
    });
    const { prompt, eos, pad } = ref.blip_generate;
    it('greedy (A1111 default: num_beams 1)', async () => assert.deepEqual(await generate(step, { prompt, numBeams: 1, minLength: 6, maxLength: 12, eos, pad }), ref.runs.blip_greedy));
    it('3 beams', async () => assert.deepEqual(await generate(step, { prompt, numBeams: 3, minLength: 6, maxLength: 12, eos, pad }), ref.runs.blip_beam3));
    it('2 beams, short', async () => assert.deepEqual(await generate(step, { prompt, numBeams: 2, minLength: 4, maxLength: 7, eos, pad }), ref.runs.blip_beam2_short));
  });
});

describe('BERT WordPiece (BLIP tokenizer)', () => {
  const vocab = ['[PAD]', '[unused0]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'picture', 'of', 'cat', '##s', 'on', 'the', 'sofa', '.', ',', "'", 's', 'dog', '##gy', 'cafe'];
  const t = new BertTokenizer(vocab);
  it('encodes the caption prompt and splits words into pieces', () => {
    assert.deepEqual(t.encode('a picture of '), [6, 7, 8]);
    assert.deepEqual(t.encode('A Picture of CATS, doggy!'), [6, 7, 8, 9, 10, 15, 18, 19, 2]);
    assert.deepEqual(t.encode('Café'), [20]);
    assert.equal(t.id('[DEC]'), vocab.length);
  });
  it('decodes as decode(skip_special_tokens=True): pieces joined, specials dropped, spacing cleaned', () => {
    assert.equal(t.decode([t.id('[DEC]'), 6, 7, 8, 9, 10, 11, 12, 13, 14, 4, 0, 0]), 'a picture of cats on the sofa.');
    assert.equal(t.decode([18, 16, 17, 13, 15, 9]), "dog's sofa, cat");
  });
});
