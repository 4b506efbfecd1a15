import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SessionPool } from '../../../models/sessions';
import { FaceDetector, type DetectedFace } from '../../../daemon/parts/faceDetector';
import { loadImage } from '../../../daemon/image/decode';
import type { RgbImage } from '../../../daemon/image/rgbImage';
import { alignFace, applyAffine } from '../../../daemon/extras/faces/align';
import { erode, gaussianBlur, gaussianKernel, pasteFaces, type RestoredFace } from '../../../daemon/extras/faces/pasteBack';
import { sharedPath } from '../../sharedPath';

const dir = sharedPath('models-fixtures/face-detector-ulfd');

/** True when (x, y) lies inside the crop square mapped into the image (grown by `grow` px). */
function insideFace(f: RestoredFace, x: number, y: number, grow: number): boolean {
  const m = f.inverse;
  // Image → crop through the forward map: invert the 2×2 part of the inverse affine.
  const det = m[0]! * m[4]! - m[1]! * m[3]!;
  const dx = x - m[2]!;
  const dy = y - m[5]!;
  const u = (m[4]! * dx - m[1]! * dy) / det;
  const v = (-m[3]! * dx + m[0]! * dy) / det;
  const g = grow / Math.hypot(m[0]!, m[3]!);
  return u > -1 - g && v > -1 - g && u < f.face.width + g && v < f.face.height + g;
}

describe('paste-back (facexlib paste_faces_to_input_image, no parsing)', () => {
  const pool = new SessionPool({ provider: 'cpu', threads: 1 });
  let photo: RgbImage;
  let faces: DetectedFace[];
  before(async () => {
    photo = await loadImage(`${dir}/test-photo-two-faces.jpg`, 'photo');
    faces = await (await FaceDetector.open(pool, `${dir}/version-RFB-320.onnx`)).detect(photo);
  });
  after(() => pool.disposeAll());

  it('an identity restorer changes nothing outside the faces and nearly nothing inside', () => {
    const restored: RestoredFace[] = faces.map((f) => {
      const a = alignFace(photo, f.landmarks, 512);
      return { face: a.face, inverse: a.inverse };
    });
    const out = pasteFaces(photo, restored);
    // One crop pixel in image pixels (the largest over the faces).
    const step = Math.max(...restored.map((f) => Math.hypot(f.inverse[0]!, f.inverse[3]!)));
    let inside = 0;
    let sum = 0;
    let worst = 0;
    let over2 = 0;
    for (let y = 0; y < photo.height; y++) {
      for (let x = 0; x < photo.width; x++) {
        const within = restored.some((f) => insideFace(f, x, y, 1));
        // Largest difference to a neighbour: the most a sub-pixel interpolation can move this pixel by.
        let contrast = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const xx = Math.min(photo.width - 1, Math.max(0, x + dx));
            const yy = Math.min(photo.height - 1, Math.max(0, y + dy));
            for (let c = 0; c < 3; c++) contrast = Math.max(contrast, Math.abs(photo.data[(yy * photo.width + xx) * 3 + c]! - photo.data[(y * photo.width + x) * 3 + c]!));
          }
        }
        for (let c = 0; c < 3; c++) {
          const i = (y * photo.width + x) * 3 + c;
          const d = Math.abs(out.data[i]! - photo.data[i]!);
          if (!within) assert.equal(d, 0, `pixel ${x},${y} changed outside every face`);
          else {
            inside++;
            sum += d;
            worst = Math.max(worst, d);
            if (d > 2 + 2 * step * contrast) over2++;
          }
        }
      }
    }
    assert.ok(inside > 0);
    // Warp up to 512 and back is bilinear both ways, with a rounding each way. Back at a source pixel centre the
    // value is interpolated from crop pixels within one crop step (~0.08 image px here), so the error is at most
    // ~0.08 × the local contrast: a level or two on skin, up to ~20 on a hard edge (twice where faces overlap),
    // plus rounding.
    assert.ok(sum / inside < 0.5, `mean change inside ${sum / inside}`);
    assert.equal(over2, 0, `${over2} of ${inside} values changed by more than 2 + 2·step·contrast (step ${step})`);
    assert.ok(worst <= 2 + 2 * step * 255, `worst change inside ${worst}`);
  });

  it('an identity round trip on a linear ramp (where bilinear is exact) is within rounding: no sub-pixel shift', () => {
    // 120×100 image, value 2·x + y.
    const W = 120;
    const H = 100;
    const img: RgbImage = { data: new Uint8Array(W * H * 3), width: W, height: H };
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) img.data.fill(Math.min(255, 2 * x + y), (y * W + x) * 3, (y * W + x) * 3 + 3);
    const lm = Float64Array.of(45.3, 40.1, 66.8, 41.7, 56.2, 52.9, 47.5, 63.3, 64.9, 64.2);
    const a = alignFace(img, lm, 512);
    const out = pasteFaces(img, [{ face: a.face, inverse: a.inverse }]);
    // Inside the face (feather 1) only rounding is left: two roundings and an interpolation of rounded values.
    let worst = 0;
    let sum = 0;
    let n = 0;
    for (let y = 35; y < 70; y++) {
      for (let x = 40; x < 72; x++) {
        const d = out.data[(y * W + x) * 3]! - img.data[(y * W + x) * 3]!;
        worst = Math.max(worst, Math.abs(d));
        sum += d;
        n++;
      }
    }
    assert.ok(worst <= 2, `worst ${worst}`);
    // A systematic shift of δ px would bias the mean by 2·δx + δy levels.
    assert.ok(Math.abs(sum / n) < 0.1, `mean signed error ${sum / n}`);
  });

  it('feathers: a white face is white at its centre and fades out towards its edge', () => {
    const grey: RgbImage = { data: new Uint8Array(200 * 200 * 3).fill(100), width: 200, height: 200 };
    const white: RgbImage = { data: new Uint8Array(512 * 512 * 3).fill(255), width: 512, height: 512 };
    // Crop → image: scale 0.25, placed at (40, 50), so the face covers 40..168 × 50..178.
    const inverse = Float64Array.of(0.25, 0, 40, 0, 0.25, 50);
    const out = pasteFaces(grey, [{ face: white, inverse }]);
    const at = (x: number, y: number): number => out.data[(y * 200 + x) * 3]!;
    assert.equal(at(104, 114), 255, 'centre');
    assert.equal(at(20, 20), 100, 'outside');
    assert.equal(at(39, 114), 100, 'just left of the face');
    let prev = 100;
    for (let x = 40; x <= 104; x++) {
      assert.ok(at(x, 114) >= prev, `monotone ramp at x=${x}`);
      prev = at(x, 114);
    }
    assert.ok(at(42, 114) < 200, 'the edge is feathered, not hard');
    const [cx] = applyAffine(inverse, 256, 256);
    assert.equal(cx, 104);
  });

  it('erode and blur follow cv2', () => {
    const m = new Float32Array(25).fill(1);
    m[12] = 0;
    // 2×2 kernel, anchor (1,1): the zero spreads to its right and down neighbours only.
    const e = erode(m, 5, 5, 2);
    assert.deepEqual([...e].map((v, i) => (v === 0 ? i : -1)).filter((i) => i >= 0), [12, 13, 17, 18]);
    assert.deepEqual([...gaussianKernel(5)], [0.0625, 0.25, 0.375, 0.25, 0.0625]);
    const k9 = gaussianKernel(9);
    assert.ok(Math.abs(k9.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    // sigma = 0.3·(4 − 1) + 0.8 = 1.7: ratio of neighbouring taps at the centre is exp(−1/(2·1.7²)).
    assert.ok(Math.abs(k9[3]! / k9[4]! - Math.exp(-1 / (2 * 1.7 * 1.7))) < 1e-12);
    // A constant image stays constant under blur with reflect-101 borders.
    const b = gaussianBlur(new Float32Array(36).fill(0.5), 6, 6, 5);
    for (const v of b) assert.ok(Math.abs(v - 0.5) < 1e-6);
  });
});
