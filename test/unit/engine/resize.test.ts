import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resizeForImg2Img, resizeGeometry, resizeLatentBilinear } from '../../../daemon/image/resize';
import type { RgbImage } from '../../../daemon/image/rgbImage';

function solid(width: number, height: number, f: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 3);
  return { data, width, height };
}
const px = (img: RgbImage, x: number, y: number): number[] => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];

describe('A1111 resize geometry (modules/images.py: resize_image)', () => {
  it('crop and resize fills the target and crops the excess (negative offsets)', () => {
    assert.deepEqual(resizeGeometry(1, 640, 480, 512, 512), { srcW: 682, srcH: 512, x: -85, y: 0 });
    assert.deepEqual(resizeGeometry(1, 480, 640, 512, 512), { srcW: 512, srcH: 682, x: 0, y: -85 });
    assert.deepEqual(resizeGeometry(1, 512, 512, 768, 512), { srcW: 768, srcH: 768, x: 0, y: -128 });
  });
  it('resize and fill fits inside the target', () => {
    assert.deepEqual(resizeGeometry(2, 640, 480, 512, 512), { srcW: 512, srcH: 384, x: 0, y: 64 });
    assert.deepEqual(resizeGeometry(2, 480, 640, 512, 512), { srcW: 384, srcH: 512, x: 64, y: 0 });
    // odd target, even source: integer division as Python's //
    assert.deepEqual(resizeGeometry(2, 100, 50, 101, 101), { srcW: 101, srcH: 50, x: 0, y: 25 });
  });
  it('resize and fill stretches the edge rows over the bars', async () => {
    // top half red, bottom half blue, wide: bars above and below
    const img = solid(64, 32, (_x, y) => (y < 16 ? [255, 0, 0] : [0, 0, 255]));
    const out = await resizeForImg2Img(img, 2, 64, 64);
    assert.equal(out.width, 64);
    assert.equal(out.height, 64);
    assert.deepEqual(px(out, 10, 2), [255, 0, 0]);
    assert.deepEqual(px(out, 10, 61), [0, 0, 255]);
  });
  it('crop and resize keeps the centre', async () => {
    const img = solid(96, 32, (x) => (x < 32 ? [255, 0, 0] : x < 64 ? [0, 255, 0] : [0, 0, 255]));
    const out = await resizeForImg2Img(img, 1, 32, 32);
    assert.deepEqual(px(out, 16, 16), [0, 255, 0]);
  });
  it('just resize ignores aspect ratio; latent upscale leaves pixels alone', async () => {
    const img = solid(40, 20, () => [10, 20, 30]);
    const out = await resizeForImg2Img(img, 0, 16, 16);
    assert.equal(out.width * out.height, 256);
    assert.equal(await resizeForImg2Img(img, 3, 16, 16), img);
  });
  it('latent bilinear resize matches torch interpolate(align_corners=False)', () => {
    // 1×2×2 → 1×4×4; torch gives these values for [[0,1],[2,3]]
    const out = resizeLatentBilinear(Float32Array.of(0, 1, 2, 3), 1, 2, 2, 4, 4);
    const expected = [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3];
    assert.deepEqual([...out], expected);
  });
});
