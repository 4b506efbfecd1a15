import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildClipTextFeatures } from '../../../models/arch/clip/textFeatures';
import { buildClipVision } from '../../../models/arch/clip/vision';
import type { TensorRecord } from '../../../models/formats/tensorRecord';
import { cleanup, report, runBuilt } from '../arch/archHelpers';
import { ioF32, maxAbs, maxAbsDiff, type IoTensor } from '../../fixtures/visionTiny';
import { interrogateIo, interrogateWeights } from '../../fixtures/interrogateTiny';
import { toHfText } from '../../fixtures/clipLayouts';

describe('CLIP encode_text / encode_image from a TorchScript ViT-L-14.pt-style archive (tiny, PyTorch reference)', () => {
  let io: Map<string, IoTensor>;
  let w: Map<string, TensorRecord>;
  before(async () => {
    io = await interrogateIo('clip-tiny.io.safetensors');
    w = await interrogateWeights('clip-tiny.pt');
  });
  after(cleanup);

  const ids = (T: number): ort.Tensor => {
    const all = io.get('text_ids')!.data as BigInt64Array;
    const out = new BigInt64Array(2 * T);
    for (let b = 0; b < 2; b++) out.set(all.subarray(b * 77, b * 77 + T), b * T);
    return new ort.Tensor('int64', out, [2, T]);
  };
  const eot = new ort.Tensor('int64', BigInt64Array.from([5n, 3n]), [2]);

  for (const [layout, T] of [['openai', 77], ['openai', 6], ['hf', 77]] as const) {
    it(`text_embeds at the end-of-text token (${layout} layout, ${T} tokens)`, async () => {
      const built = buildClipTextFeatures(layout === 'hf' ? toHfText(w) : w);
      assert.deepEqual(built.info, { layout, width: 128, layers: 1, heads: 2, context: 77, vocab: 64, embedDim: 32 });
      const out = await runBuilt(built, { input_ids: ids(T), eot_index: eot });
      const ref = ioF32(io, 'text_embeds');
      const err = maxAbsDiff(out.text_embeds!, ref);
      report(`${layout} T=${T} text_embeds`, err, 1e-4 * Math.max(1, maxAbs(ref)));
      assert.ok(err <= 1e-4 * Math.max(1, maxAbs(ref)), String(err));
    });
  }

  it('image_embeds from the archive\'s visual.* tensors', async () => {
    const out = await runBuilt(buildClipVision(w), { image: new ort.Tensor('float32', ioF32(io, 'image'), [1, 3, 16, 16]) });
    const err = maxAbsDiff(out.image_embeds!, ioF32(io, 'image_embeds'));
    report('image_embeds', err, 1e-4);
    assert.ok(err <= 1e-4, String(err));
  });
});
