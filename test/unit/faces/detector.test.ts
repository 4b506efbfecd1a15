import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SessionPool } from '../../../models/sessions';
import { FaceDetector, hardNms, landmarksFromBox, type DetectedFace } from '../../../daemon/parts/faceDetector';
import { loadImage } from '../../../daemon/image/decode';
import type { RgbImage } from '../../../daemon/image/rgbImage';
import { sharedPath } from '../../sharedPath';

const dir = sharedPath('models-fixtures/face-detector-ulfd');
const PHOTO = `${dir}/test-photo-two-faces.jpg`;

function boxIou(a: DetectedFace['box'], b: DetectedFace['box']): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

describe('Ultra-Light face detector (real RFB-320 / slim-320 weights)', () => {
  const pool = new SessionPool({ provider: 'cpu', threads: 1 });
  let photo: RgbImage;
  let rfb: DetectedFace[];
  before(async () => {
    photo = await loadImage(PHOTO, 'photo');
    rfb = await (await FaceDetector.open(pool, `${dir}/version-RFB-320.onnx`)).detect(photo);
  });
  after(() => pool.disposeAll());

  it('finds the faces of the group photo with plausible boxes', () => {
    // The "two faces" photo is the repository's group picture: ~55 people in 720×478, faces 15–35 px wide;
    // the whole view plus the 2×2 tiles find 52 of them.
    assert.ok(rfb.length >= 45, `only ${rfb.length} faces`);
    for (const f of rfb) {
      const [x1, y1, x2, y2] = f.box;
      const w = x2 - x1;
      const h = y2 - y1;
      assert.ok(f.score > 0.7 && f.score <= 1, `score ${f.score}`);
      assert.ok(x1 >= 0 && y1 >= 0 && x2 <= photo.width && y2 <= photo.height, `box ${f.box.join(',')} outside`);
      assert.ok(w >= 8 && w <= 80, `width ${w}`);
      assert.ok(h / w > 0.8 && h / w < 2, `aspect ${h / w}`);
      // People stand on stairs: every face is in the upper 60 % of the photo (legs and stairs below).
      assert.ok(y2 < photo.height * 0.62, `face at y=${y1} is below the heads`);
    }
    for (let i = 0; i < rfb.length; i++) for (let j = i + 1; j < rfb.length; j++) assert.ok(boxIou(rfb[i]!.box, rfb[j]!.box) <= 0.3, 'NMS left overlapping boxes');
    assert.ok(rfb[0]!.score > 0.99, 'the best face is certain');
  });

  it('slim-320 agrees with RFB-320 on most faces', async () => {
    const slim = await (await FaceDetector.open(pool, `${dir}/version-slim-320.onnx`)).detect(photo);
    const matched = rfb.filter((f) => slim.some((s) => boxIou(f.box, s.box) > 0.4)).length;
    assert.ok(matched >= 0.8 * rfb.length, `${matched} of ${rfb.length} matched (slim found ${slim.length})`);
  });

  it('places the 5 alignment points inside the box, eyes above nose above mouth', () => {
    const lm = landmarksFromBox([10, 20, 110, 150]);
    for (let i = 0; i < 5; i++) {
      assert.ok(lm[2 * i]! > 10 && lm[2 * i]! < 110 && lm[2 * i + 1]! > 20 && lm[2 * i + 1]! < 150);
    }
    assert.ok(lm[0]! < lm[2]! && lm[1] === lm[3], 'eyes level, left first');
    assert.ok(lm[5]! > lm[1]! && lm[7]! > lm[5]!, 'nose below eyes, mouth below nose');
    assert.ok(Math.abs((lm[0]! + lm[2]!) / 2 - 60) < 1e-9, 'symmetric about the box centre');
  });
});

describe('hardNms', () => {
  it('keeps the best of overlapping boxes and every separate one', () => {
    const boxes = Float32Array.of(0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30, 0, 0, 10, 10);
    const scores = Float32Array.of(0.8, 0.9, 0.75, 0.1);
    assert.deepEqual(hardNms(boxes, scores, [0, 1, 2], 0.3), [1, 2]);
    assert.deepEqual(hardNms(boxes, scores, [0, 1, 2], 0.9), [1, 0, 2]);
  });
});
