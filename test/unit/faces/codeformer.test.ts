import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildCodeFormer } from '../../../models/arch/faces/codeformer';
import { faceInputFromRgb } from '../../../daemon/parts/faceRestorer';
import { cleanup, report, runBuilt } from '../arch/archHelpers';
import { cropPlanes, ioF32, maxAbs, maxAbsDiff, visionIo, visionWeights, type IoTensor } from '../../fixtures/visionTiny';


describe('CodeFormer (vision-tiny fixture, codeformer-v0.1.0.pth layout)', () => {
  let io: Map<string, IoTensor>;
  let image: ort.Tensor;
  before(async () => {
    io = await visionIo('gfpgan');
    const face = io.get('face_rgb_u8')!;
    image = new ort.Tensor('float32', faceInputFromRgb({ data: face.data as Uint8Array, width: 512, height: 512 }), [1, 3, 512, 512]);
    io = await visionIo('codeformer');
  });
  after(cleanup);

  it('matches the original at w = 0.5 and w = 1.0 (lq_feat, logits, codes, restored face)', async () => {
    const built = buildCodeFormer(await visionWeights('codeformer'));
    assert.deepEqual(built.info, { dim: 64, layers: 3, codebook: 1024, connect: ['32', '64', '128', '256'] });
    for (const w of [0.5, 1.0]) {
      const out = await runBuilt(built, { image, w: new ort.Tensor('float32', Float32Array.of(w), [1]) });
      for (const name of ['lq_feat', 'logits']) {
        const ref = ioF32(io, name);
        const err = maxAbsDiff(out[name]!, ref);
        report(`${name} (w ${w})`, err, 1e-4 * Math.max(1, maxAbs(ref)));
        assert.ok(err <= 1e-4 * Math.max(1, maxAbs(ref)), `${name}: ${err}`);
      }
      assert.deepEqual([...(out.top_idx as unknown as BigInt64Array)], [...(io.get('top_idx')!.data as BigInt64Array)], 'codes');
      const ref = ioF32(io, `restored_w${w.toFixed(1)}_crop`);
      const err = maxAbsDiff(cropPlanes(out.restored!, 3, 512, 192, 320), ref);
      // The fixture README's bound for CodeFormer's restored face: 5e-4 absolute.
      report(`restored crop (w ${w})`, err, 5e-4);
      assert.ok(err <= 5e-4, `restored w ${w}: ${err}`);
    }
  });
});
