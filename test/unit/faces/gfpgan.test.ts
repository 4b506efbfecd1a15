import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildGfpgan } from '../../../models/arch/faces/gfpgan';
import { faceInputFromRgb } from '../../../daemon/parts/faceRestorer';
import { cleanup, report, runBuilt } from '../arch/archHelpers';
import { cropPlanes, ioF32, maxAbs, maxAbsDiff, visionIo, visionWeights, type IoTensor } from '../../fixtures/visionTiny';


describe('GFPGANv1Clean (vision-tiny fixture, GFPGANv1.4.pth layout)', () => {
  let io: Map<string, IoTensor>;
  let input: Float32Array;
  before(async () => {
    io = await visionIo('gfpgan');
    const face = io.get('face_rgb_u8')!;
    input = faceInputFromRgb({ data: face.data as Uint8Array, width: 512, height: 512 });
  });
  after(cleanup);

  it('restored face and style code match the original with the stored noise buffers', async () => {
    const built = buildGfpgan(await visionWeights('gfpgan'));
    assert.deepEqual(built.info, { size: 512, styleDim: 32, latents: 16, sftHalf: true });
    const out = await runBuilt(built, { image: new ort.Tensor('float32', input, [1, 3, 512, 512]) });
    for (const name of ['restored', 'style_code']) {
      const ref = ioF32(io, name);
      const err = maxAbsDiff(out[name]!, ref);
      const tol = 1e-4 * Math.max(1, maxAbs(ref));
      report(name, err, tol);
      assert.ok(err <= tol, `${name}: ${err}`);
    }
  });

  it('without noise it matches the zero-noise reference (the noise buffers are really used)', async () => {
    const out = await runBuilt(buildGfpgan(await visionWeights('gfpgan'), { zeroNoise: true }), { image: new ort.Tensor('float32', input, [1, 3, 512, 512]) }, ['restored']);
    const err = maxAbsDiff(cropPlanes(out.restored!, 3, 512, 232, 280), ioF32(io, 'restored_zero_noise_crop'));
    report('restored, zero noise (crop)', err, 1e-4 * 3);
    assert.ok(err <= 3e-4, String(err));
  });
});
