import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildBlipDecoder, buildBlipEncoder } from '../../../models/arch/blip';
import type { TensorRecord } from '../../../models/formats/tensorRecord';
import { cleanup, report, runBuilt } from '../arch/archHelpers';
import { ioF32, maxAbs, maxAbsDiff, type IoTensor } from '../../fixtures/visionTiny';
import { interrogateIo, interrogateWeights } from '../../fixtures/interrogateTiny';

// Reference: test/fixtures/interrogate-tiny/make_reference.py, our own float64 transcription of BLIP's models/vit.py
// and models/med.py (BertLMHeadModel, multimodal mode), on tiny random weights in the checkpoint's key layout.
describe('BLIP caption model layers (tiny, reference written from the BLIP / BERT source)', () => {
  let io: Map<string, IoTensor>;
  let w: Map<string, TensorRecord>;
  let enc: Record<string, Float32Array>;
  before(async () => {
    io = await interrogateIo('blip-tiny.io.safetensors');
    w = await interrogateWeights('blip-tiny.safetensors');
    enc = await runBuilt(buildBlipEncoder(w, { heads: 2, visionHeads: 2, trace: true }), { image: new ort.Tensor('float32', ioF32(io, 'image'), [1, 3, 16, 16]) });
  });
  after(cleanup);

  const near = (what: string, got: Float32Array, ref: Float32Array): void => {
    const err = maxAbsDiff(got, ref);
    const tol = 1e-4 * Math.max(1, maxAbs(ref));
    report(what, err, tol);
    assert.ok(err <= tol, `${what}: ${err}`);
  };

  it('ViT block (pre-LN, packed qkv, exact GELU, eps 1e-6) and the image embeddings', () => {
    near('vit block 0', enc.block0!, ioF32(io, 'vit_block0'));
    near('image_embeds', enc.image_embeds!, ioF32(io, 'image_embeds'));
  });

  it('BERT decoder: embeddings, causal self-attention, cross-attention, MLP per layer, LM head', async () => {
    const ids = io.get('decoder_ids')!;
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids.data as BigInt64Array, ids.dims) };
    for (let i = 0; i < 2; i++) for (const kv of ['k', 'v']) feeds[`cross_${kv}_${i}`] = new ort.Tensor('float32', enc[`cross_${kv}_${i}`]!, [1, 2, 5, 32]);
    const out = await runBuilt(buildBlipDecoder(w, { heads: 2, visionHeads: 2, trace: true }), feeds);
    near('embeddings', out.embeddings!, ioF32(io, 'decoder_embeddings'));
    for (let i = 0; i < 2; i++) for (const part of ['self', 'cross', 'out']) near(`layer ${i} ${part}`, out[`layer${i}_${part}`]!, ioF32(io, `decoder_layer${i}_${part}`));
    near('logits (every position)', out.all_logits!, ioF32(io, 'decoder_logits'));
    const V = 40;
    near('logits (last position)', out.logits!, ioF32(io, 'decoder_logits').subarray(5 * V, 6 * V));
  });
});
