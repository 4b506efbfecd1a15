import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildClipVision } from '../../../models/arch/clip/vision';
import type { TensorRecord } from '../../../models/formats/tensorRecord';
import { clipPixels } from '../../../daemon/interrogate/clipPreprocess';
import { cleanup, report, runBuilt } from '../arch/archHelpers';
import { ioF32, maxAbs, maxAbsDiff, visionIo, visionWeights, type IoTensor } from '../../fixtures/visionTiny';
import { toHfVision } from '../../fixtures/clipLayouts';

describe('CLIP image encoder (vision-tiny clip-vit, ViT-L-14.pt visual.* layout)', () => {
  let io: Map<string, IoTensor>;
  let weights: Map<string, TensorRecord>;
  before(async () => {
    io = await visionIo('clip-vit');
    weights = await visionWeights('clip-vit');
  });
  after(cleanup);

  it("clip._transform: bicubic short side, centre crop, CLIP mean/std (the fixture's pixel_values)", () => {
    const img = io.get('image_u8')!;
    const px = clipPixels({ data: img.data as Uint8Array, width: img.dims[2]!, height: img.dims[1]! }, 224);
    const err = maxAbsDiff(px, ioF32(io, 'pixel_values'));
    report('pixel_values', err, 1e-5);
    assert.ok(err <= 1e-5, String(err));
  });

  const check = async (t: Map<string, TensorRecord>, layout: string): Promise<void> => {
    const built = buildClipVision(t);
    assert.deepEqual(built.info, { layout, width: 128, layers: 2, heads: 2, patch: 14, size: 224, embedDim: 64 });
    const out = await runBuilt(built, { image: new ort.Tensor('float32', ioF32(io, 'pixel_values'), [1, 3, 224, 224]) });
    for (const [name, ref] of [['image_embeds', 'image_embeds'], ['pooled', 'ln_post_out']] as const) {
      const r = ioF32(io, ref);
      const err = maxAbsDiff(out[name]!, r);
      const tol = 1e-4 * Math.max(1, maxAbs(r));
      report(`${layout} ${name}`, err, tol);
      assert.ok(err <= tol, `${name}: ${err}`);
    }
  };

  it('image_embeds = ln_post(class token) @ proj, as encode_image (OpenAI layout)', () => check(weights, 'openai'));
  it('the same weights in the Hugging Face CLIPModel layout give the same embedding', () => check(toHfVision(weights), 'hf'));
});
