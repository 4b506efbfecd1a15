import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { networkOnnx, type NetworkSidecar } from '../../../models/networkOnnx';
import { ioF32, maxAbsDiff, visionIo } from '../../fixtures/visionTiny';
import { interrogateFixture, interrogateIo } from '../../fixtures/interrogateTiny';
import { writeTinyDeepbooru } from '../../fixtures/interrogateRoot';
import { deepbooruInput } from '../../../daemon/interrogate/deepbooruInput';

// "Every network converts like a checkpoint": the interrogation networks through the same model.onnx + model.json
// path as the face networks, from the files A1111 users have.
describe('convert-onnx of the interrogation networks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-convert-interrogate-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('OpenAI ViT-L-14.pt as a TorchScript archive → the CLIP image encoder; image_embeds first', async () => {
    const r = await networkOnnx(interrogateFixture('clip-tiny.pt'), { out: join(dir, 'clip'), hashCache: false });
    const side: NetworkSidecar = JSON.parse(readFileSync(join(dir, 'clip', 'model.json'), 'utf8'));
    assert.equal(side.kind, 'clip-vision');
    assert.deepEqual(side.input.shape, ['batch', 3, 16, 16]);
    assert.equal(side.outputs[0]!.name, 'image_embeds');
    assert.equal(r.converted > 0, true, 'fp16 weights are converted to fp32');
    const io = await interrogateIo('clip-tiny.io.safetensors');
    const s = await ort.InferenceSession.create(r.modelPath);
    const out = await s.run({ image: new ort.Tensor('float32', ioF32(io, 'image'), [1, 3, 16, 16]) });
    await s.release();
    assert.ok(maxAbsDiff(out.image_embeds!.data as Float32Array, ioF32(io, 'image_embeds')) < 1e-4);
  });

  it("A1111's model-resnet_custom_v3.pt → DeepDanbooru, its tag list in model.json's labels", async () => {
    const pt = join(dir, 'model-resnet_custom_v3.pt');
    const tags = Array.from({ length: 300 }, (_, i) => `t${i}`);
    await writeTinyDeepbooru(pt, tags);
    const r = await networkOnnx(pt, { out: join(dir, 'ddb'), hashCache: false });
    assert.equal(r.sidecar.kind, 'deepdanbooru');
    assert.deepEqual(r.sidecar.labels, tags);
    const io = await visionIo('deepdanbooru');
    const img = io.get('image_rgb_u8')!;
    const s = await ort.InferenceSession.create(r.modelPath);
    const out = await s.run({ image: new ort.Tensor('float32', deepbooruInput({ data: img.data as Uint8Array, width: 512, height: 512 }), [1, 3, 512, 512]) });
    await s.release();
    assert.ok(maxAbsDiff(out.scores!.data as Float32Array, ioF32(io, 'scores')) < 1e-4);
  });
});
