import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildParseNet } from '../../../models/arch/faces/parsenet';
import { openWeights } from '../../../models/formats/open';
import { netStateDict } from '../../../models/formats/netStateDict';
import { parseMask } from '../../../daemon/extras/faces/parseMask';
import { parseClasses } from '../../../daemon/parts/faceParser';
import { faceInputFromRgb } from '../../../daemon/parts/faceRestorer';
import { cleanup, report, runBuilt } from '../arch/archHelpers';
import { cropPlanes, maxAbs, maxAbsDiff, visionIo, type IoTensor } from '../../fixtures/visionTiny';

// Reference: test/fixtures/parsenet-tiny/make_reference.py, a float64 transcription of facexlib's parsenet.py and
// of FaceRestoreHelper's use_parse mask (no fixture from the original code exists for this network).
const ref = (name: string): string => resolve('test/fixtures/parsenet-tiny', name);


const sub4 = (m: Float32Array, size: number): Float32Array => {
  const out = new Float32Array((size / 4) ** 2);
  for (let y = 0; y < size / 4; y++) for (let x = 0; x < size / 4; x++) out[y * (size / 4) + x] = m[4 * y * size + 4 * x]!;
  return out;
};

describe('facexlib ParseNet and the use_parse paste mask (NumPy reference)', () => {
  const io = new Map<string, IoTensor>();
  let out: Record<string, Float32Array>;
  before(async () => {
    for (const r of (await openWeights(ref('parsenet.io.safetensors'))).tensors) {
      const { readTensor } = await import('../../../models/formats/tensorRecord');
      io.set(r.name, { data: (await readTensor(r)) as Float32Array | Uint8Array, dims: r.shape });
    }
    const face = (await visionIo('gfpgan')).get('face_rgb_u8')!;
    const built = buildParseNet(netStateDict(await openWeights(ref('parsenet.safetensors'))));
    assert.deepEqual(built.info, { size: 512, classes: 19 });
    const x = faceInputFromRgb({ data: face.data as Uint8Array, width: 512, height: 512 });
    out = await runBuilt(built, { image: new ort.Tensor('float32', x, [1, 3, 512, 512]) });
  });
  after(cleanup);

  it('logits and image head match', () => {
    for (const [name, planes, key] of [['parsing', 19, 'logits_crop'], ['image_out', 3, 'image_out_crop']] as const) {
      const want = io.get(key)!.data as Float32Array;
      const err = maxAbsDiff(cropPlanes(out[name]!, planes, 512, 240, 272), want);
      const tol = 1e-4 * Math.max(1, maxAbs(want));
      report(name, err, tol);
      assert.ok(err <= tol, `${name}: ${err}`);
    }
  });

  it('arg-max classes agree (but for near-ties) and the soft face mask matches', () => {
    const want = io.get('classes')!.data as Uint8Array;
    const got = parseClasses(out.parsing!, 19, 512);
    let off = 0;
    for (let i = 0; i < want.length; i++) if (want[i] !== got[i]) off++;
    assert.ok(off / want.length < 1e-3, `${off} classes differ`);
    const mask = io.get('mask_sub4')!.data as Float32Array;
    assert.ok(maxAbs(mask) > 0.5 && Math.min(...mask) === 0, 'the reference mask has face and non-face');
    // From the reference classes the mask is the same function: only rounding differs.
    const exact = maxAbsDiff(sub4(parseMask(want, 512), 512), mask);
    report('mask from reference classes', exact, 1e-5);
    assert.ok(exact < 1e-5);
    const ours = maxAbsDiff(sub4(parseMask(got, 512), 512), mask);
    report('mask from our classes', ours, 1e-3);
    assert.ok(ours < 1e-3);
  });
});
