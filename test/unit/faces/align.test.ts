import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignFace, applyAffine, estimateSimilarity, invertAffine, templateFor, warpRgb, FFHQ_TEMPLATE_512 } from '../../../daemon/extras/faces/align';
import type { RgbImage } from '../../../daemon/image/rgbImage';

/** The template put into an image by a known similarity (scale s, angle a, shift tx, ty). */
function placed(s: number, a: number, tx: number, ty: number): Float64Array {
  const t = FFHQ_TEMPLATE_512;
  const out = new Float64Array(10);
  for (let i = 0; i < 5; i++) {
    const x = t[2 * i]! - 256;
    const y = t[2 * i + 1]! - 256;
    out[2 * i] = s * (Math.cos(a) * x - Math.sin(a) * y) + tx;
    out[2 * i + 1] = s * (Math.sin(a) * x + Math.cos(a) * y) + ty;
  }
  return out;
}

describe('5-point similarity alignment', () => {
  it('recovers a known similarity exactly and maps the points onto the template', () => {
    const pts = placed(0.12, 0.3, 150, 90);
    const m = estimateSimilarity(pts, templateFor(512));
    for (let i = 0; i < 5; i++) {
      const [x, y] = applyAffine(m, pts[2 * i]!, pts[2 * i + 1]!);
      assert.ok(Math.hypot(x - FFHQ_TEMPLATE_512[2 * i]!, y - FFHQ_TEMPLATE_512[2 * i + 1]!) < 1e-6);
    }
    assert.ok(Math.abs(Math.hypot(m[0]!, m[3]!) - 1 / 0.12) < 1e-9, 'scale');
    assert.ok(Math.abs(Math.atan2(m[3]!, m[0]!) + 0.3) < 1e-9, 'rotation');
  });

  it('is the least-squares fit for noisy points (residual < 1 px, no reflection)', () => {
    const pts = placed(0.5, -0.2, 300, 200);
    const noise = [0.4, -0.3, -0.2, 0.5, 0.1, 0.1, -0.5, -0.2, 0.3, -0.4];
    for (let i = 0; i < 10; i++) pts[i]! += noise[i]!;
    const m = estimateSimilarity(pts, templateFor(512));
    let worst = 0;
    for (let i = 0; i < 5; i++) {
      const [x, y] = applyAffine(m, pts[2 * i]!, pts[2 * i + 1]!);
      worst = Math.max(worst, Math.hypot(x - FFHQ_TEMPLATE_512[2 * i]!, y - FFHQ_TEMPLATE_512[2 * i + 1]!));
    }
    assert.ok(worst < 1 / 0.5 + 0.5, `worst residual ${worst} template px`);
    assert.ok(m[0]! * m[4]! - m[1]! * m[3]! > 0, 'orientation kept');
  });

  it('inverts affines', () => {
    const m = Float64Array.of(1.5, -0.4, 12, 0.4, 1.5, -7);
    const i = invertAffine(m);
    const [x, y] = applyAffine(i, ...applyAffine(m, 33, -5));
    assert.ok(Math.abs(x - 33) < 1e-9 && Math.abs(y + 5) < 1e-9);
  });

  it('warps an image so that marked landmarks land on the template (< 1 px)', () => {
    // A 400×300 image with a bright Gaussian blob at each of 5 landmarks of a rotated, scaled face.
    const W = 400;
    const H = 300;
    const pts = placed(0.35, 0.25, 100, 70);
    const img: RgbImage = { data: new Uint8Array(W * H * 3), width: W, height: H };
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let v = 0;
        for (let i = 0; i < 5; i++) v += Math.exp(-((x - pts[2 * i]!) ** 2 + (y - pts[2 * i + 1]!) ** 2) / 8);
        img.data.fill(Math.min(255, Math.round(250 * v)), (y * W + x) * 3, (y * W + x) * 3 + 3);
      }
    }
    const { face, inverse } = alignFace(img, pts, 512);
    for (let i = 0; i < 5; i++) {
      // Weighted centroid of the blob around the template point in the crop.
      const tx = FFHQ_TEMPLATE_512[2 * i]!;
      const ty = FFHQ_TEMPLATE_512[2 * i + 1]!;
      let sx = 0;
      let sy = 0;
      let sw = 0;
      for (let y = Math.round(ty) - 25; y <= Math.round(ty) + 25; y++) {
        for (let x = Math.round(tx) - 25; x <= Math.round(tx) + 25; x++) {
          const v = face.data[(y * 512 + x) * 3]!;
          if (v < 20) continue;
          sx += v * x;
          sy += v * y;
          sw += v;
        }
      }
      const err = Math.hypot(sx / sw - tx, sy / sw - ty);
      assert.ok(err < 1, `landmark ${i}: ${err.toFixed(3)} px from the template`);
    }
    // Where the crop reaches outside the source it has facexlib's grey border.
    let outside = 0;
    for (let y = 0; y < 512; y += 8) {
      for (let x = 0; x < 512; x += 8) {
        const [sx, sy] = applyAffine(inverse, x, y);
        if (sx > -2 && sy > -2 && sx < W + 1 && sy < H + 1) continue;
        outside++;
        assert.deepEqual([...face.data.subarray((y * 512 + x) * 3, (y * 512 + x) * 3 + 3)], [132, 133, 135]);
      }
    }
    assert.ok(outside > 0, 'the crop reaches past the image');
  });

  it('the identity warp copies the image', () => {
    const img: RgbImage = { data: Uint8Array.from({ length: 7 * 5 * 3 }, (_, i) => (i * 37) % 256), width: 7, height: 5 };
    const out: RgbImage = { data: new Uint8Array(img.data.length), width: 7, height: 5 };
    warpRgb(img, Float64Array.of(1, 0, 0, 0, 1, 0), out);
    assert.deepEqual(out.data, img.data);
  });
});
