import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildRetinaFace } from '../../../models/arch/faces/retinaface';
import { priorBoxes, selectDetections, decodeRetina, RETINA_MEAN_BGR } from '../../../daemon/parts/retinaDecode';
import { cleanup, report, runBuilt, tempDir } from '../arch/archHelpers';
import { writeExternalModel } from '../../../models/arch/externalModel';
import { SessionPool } from '../../../models/sessions';
import { RetinaFaceDetector } from '../../../daemon/parts/retinaFaceDetector';
import { ioF32, maxAbs, maxAbsDiff, visionIo, visionWeights, type IoTensor } from '../../fixtures/visionTiny';

describe('RetinaFace ResNet-50 (vision-tiny fixture, facexlib layout)', () => {
  let io: Map<string, IoTensor>;
  let out: Record<string, Float32Array>;
  const H = 120;
  const W = 152;
  before(async () => {
    io = await visionIo('retinaface');
    const built = buildRetinaFace(await visionWeights('retinaface'));
    out = await runBuilt(built, { image: new ort.Tensor('float32', ioF32(io, 'input'), [1, 3, H, W]) });
  });
  after(cleanup);

  it('the caller\'s preprocessing is BGR minus (104, 117, 123), unscaled', () => {
    const rgb = io.get('image_rgb_u8')!.data as Uint8Array;
    const input = ioF32(io, 'input');
    const n = H * W;
    for (let i = 0; i < n; i += 97) for (let c = 0; c < 3; c++) assert.equal(input[c * n + i], rgb[3 * i + 2 - c]! - RETINA_MEAN_BGR[c]!);
  });

  it('raw outputs (loc, conf, landms) match the original network', () => {
    for (const name of ['loc', 'conf', 'landms']) {
      const ref = ioF32(io, name);
      const err = maxAbsDiff(out[name]!, ref);
      const tol = 1e-4 * Math.max(1, maxAbs(ref));
      report(name, err, tol);
      assert.ok(err <= tol, `${name}: ${err}`);
    }
  });

  it('prior boxes, decoded boxes / landmarks and the final detections match detect_faces', () => {
    const priors = priorBoxes(H, W);
    assert.equal(maxAbsDiff(priors, ioF32(io, 'priors')), 0);
    const raw = { loc: ioF32(io, 'loc'), conf: ioF32(io, 'conf'), landms: ioF32(io, 'landms') };
    const dec = decodeRetina(raw, priors, H, W);
    const boxErr = maxAbsDiff(dec.boxes, ioF32(io, 'boxes'));
    const lmErr = maxAbsDiff(dec.landmarks, ioF32(io, 'landmarks'));
    report('boxes (px)', boxErr, 1e-2);
    report('landmarks (px)', lmErr, 1e-2);
    assert.ok(boxErr <= 1e-2 && lmErr <= 1e-2);
    // From our own network's outputs, through the whole selection.
    const dets = selectDetections({ loc: out.loc!, conf: out.conf!, landms: out.landms! }, priors, H, W, 0.97, 0.4);
    const ref = ioF32(io, 'dets');
    assert.equal(dets.length, ref.length / 15, 'detection count');
    dets.forEach((d, i) => {
      const row = [...d.box, d.score, ...d.landmarks];
      const err = maxAbsDiff(row, ref.subarray(15 * i, 15 * i + 15));
      assert.ok(err <= 1e-2, `det ${i}: ${err}`);
    });
  });

  it('the detector part at the image\'s own size gives detect_faces\' rows less the eyes-closer-than-5-px faces', async () => {
    const dir = await tempDir();
    const built = buildRetinaFace(await visionWeights('retinaface'));
    const w = await writeExternalModel(built.g, built.params.plan, dir);
    const pool = new SessionPool({ provider: 'cpu', threads: 1 });
    try {
      const rgb = io.get('image_rgb_u8')!.data as Uint8Array;
      const faces = await new RetinaFaceDetector(await pool.get(w.modelPath)).detect({ data: rgb, width: W, height: H }, { resize: null });
      const all = ioF32(io, 'dets');
      const rows = Array.from({ length: all.length / 15 }, (_, i) => all.subarray(15 * i, 15 * i + 15)).filter((r) => Math.hypot(r[5]! - r[7]!, r[6]! - r[8]!) >= 5);
      assert.equal(faces.length, rows.length);
      faces.forEach((f, i) => assert.ok(maxAbsDiff([...f.box, f.score, ...f.landmarks], rows[i]!) <= 1e-2, `face ${i}`));
    } finally {
      await pool.disposeAll();
    }
  });
});
