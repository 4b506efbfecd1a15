// Only-masked geometry (modules/masking.py: get_crop_region_v2, expand_crop_region; processing.py: uncrop): crop box,
// aspect expansion, paste-back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cropRegion, expandCropRegion, maskBBox, onlyMaskedRegion } from '../../../daemon/image/mask/geometry';
import { blankGray, type GrayImage } from '../../../daemon/image/mask/gray';
import { uncrop } from '../../../daemon/image/mask/composite';
import { blurMask } from '../../../daemon/image/mask/blur';

function rectMask(w: number, h: number, [x1, y1, x2, y2]: [number, number, number, number]): GrayImage {
  const m = blankGray(w, h);
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) m.data[y * w + x] = 255;
  return m;
}

describe('only-masked crop region', () => {
  it('bbox of non-zero pixels, right/bottom exclusive; blank mask → undefined', () => {
    assert.deepEqual(maskBBox(rectMask(512, 512, [200, 100, 260, 140])), [200, 100, 260, 140]);
    assert.equal(maskBBox(blankGray(64, 64)), undefined);
    assert.equal(onlyMaskedRegion(blankGray(64, 64), 32, 64, 64), undefined);
  });

  it('a mask in the middle: padding then the height grown to the square aspect, split evenly', () => {
    const m = rectMask(512, 512, [200, 100, 260, 140]);
    assert.deepEqual(cropRegion(m, 32), [168, 68, 292, 172]);
    assert.deepEqual(expandCropRegion([168, 68, 292, 172], 512, 512, 512, 512), [168, 58, 292, 182]);
  });

  it('a mask touching the top-left border: padding clamped, width grown and shifted back inside', () => {
    const m = rectMask(512, 256, [0, 0, 20, 10]);
    assert.deepEqual(cropRegion(m, 32), [0, 0, 52, 42]);
    assert.deepEqual(onlyMaskedRegion(m, 32, 512, 256), [0, 0, 84, 42]); // 84/42 = 512/256
  });

  it('a mask larger than the image after padding: clamped to the image, aspect given up', () => {
    const m = rectMask(100, 80, [10, 10, 90, 70]);
    assert.deepEqual(cropRegion(m, 64), [0, 0, 100, 80]);
    assert.deepEqual(onlyMaskedRegion(m, 64, 512, 512), [0, 0, 100, 80]);
  });

  it('a full mask gives the whole image', () => {
    assert.deepEqual(onlyMaskedRegion(rectMask(64, 48, [0, 0, 64, 48]), 32, 64, 64), [0, 0, 64, 48]);
  });

  it('a mask at the bottom edge: the grown box is shifted up to stay inside', () => {
    const m = rectMask(200, 200, [50, 190, 150, 200]);
    assert.deepEqual(onlyMaskedRegion(m, 0, 64, 64), [50, 100, 150, 200]);
  });

  it('the crop box covers the blur tails (bbox taken after the blur)', () => {
    const m = blurMask(rectMask(128, 128, [60, 60, 68, 68]), 4, 4);
    const [x1, y1, x2, y2] = maskBBox(m)!;
    assert.ok(x1 < 60 - 5 && y1 < 60 - 5 && x2 > 68 + 5 && y2 > 68 + 5, `${[x1, y1, x2, y2]}`);
  });

  it('paste-back: the W×H result resized into the box at its place, transparent elsewhere', async () => {
    const gen = { data: new Uint8Array(64 * 64 * 3).fill(200), width: 64, height: 64 };
    const canvas = await uncrop(gen, 100, 80, [10, 20, 42, 52]);
    assert.equal(canvas.width, 100);
    const px = (x: number, y: number): number[] => Array.from(canvas.data.subarray((y * 100 + x) * 4, (y * 100 + x) * 4 + 4));
    assert.deepEqual(px(10, 20), [200, 200, 200, 255]);
    assert.deepEqual(px(41, 51), [200, 200, 200, 255]);
    assert.deepEqual(px(9, 20), [0, 0, 0, 0]);
    assert.deepEqual(px(42, 51), [0, 0, 0, 0]);
  });
});
