// Mask blur, latent masks, masked content and the composite, in the order of docs/a1111-behaviour.md: Inpainting,
// step by step.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blurMask, gaussianKernel, maskBlurKernelSize, reflect101 } from '../../../daemon/image/mask/blur';
import { alphaCompositeRgb, compositeOverOriginal, overlayImage } from '../../../daemon/image/mask/composite';
import { blankGray, doubleGray, type GrayImage } from '../../../daemon/image/mask/gray';
import { conditioningMask, latentMask } from '../../../daemon/image/mask/latentMask';
import { binaryMask } from '../../../daemon/image/mask/loadMask';
import { pilResizeGray } from '../../../daemon/image/mask/pilResize';
import { resizeMask } from '../../../daemon/image/mask/resizeMask';
import { applyLatentContent } from '../../../daemon/stages/maskedContent';
import { fillMasked } from '../../../daemon/image/mask/fill';
import { maskedImage } from '../../../daemon/stages/inpaintConditioning';
import { expansion, poorMansCanvas } from '../../../daemon/image/outpaint';

const dot = (w: number, h: number, x: number, y: number): GrayImage => {
  const m = blankGray(w, h);
  m.data[y * w + x] = 255;
  return m;
};
const rgb = (w: number, h: number, f: (x: number, y: number) => [number, number, number]) => {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(f(x, y), (y * w + x) * 3);
  return { data, width: w, height: h };
};

describe('mask blur (cv2 separable Gaussian)', () => {
  it('kernel size 2·int(2.5σ+0.5)+1: 21 for the default 4; normalised kernel', () => {
    assert.equal(maskBlurKernelSize(4), 21);
    assert.equal(maskBlurKernelSize(1), 7);
    assert.equal(maskBlurKernelSize(8), 41);
    const k = gaussianKernel(21, 4);
    assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.equal(k[0], k[20]);
  });
  it('reflect-101 borders', () => {
    assert.deepEqual([-2, -1, 0, 4, 5, 6].map((i) => reflect101(i, 5)), [2, 1, 0, 4, 3, 2]);
  });
  it('x and y are separate: blur_y 0 leaves other rows alone; a square blurs symmetrically', () => {
    const m = blurMask(dot(41, 41, 20, 20), 4, 0);
    for (let y = 0; y < 41; y++) if (y !== 20) assert.ok(m.data.subarray(y * 41, y * 41 + 41).every((v) => v === 0));
    assert.ok(m.data[20 * 41 + 10]! > 0 && m.data[20 * 41 + 9] === 0); // radius 10 for k = 21
    const b = blurMask(dot(41, 41, 20, 20), 4, 4);
    assert.equal(b.data[20 * 41 + 23], b.data[23 * 41 + 20]);
  });
});

describe('masks in', () => {
  it('alpha with transparency is thresholded at 128; opaque masks use luminance and keep greys', () => {
    const rgba = { data: Uint8Array.from([0, 0, 0, 129, 0, 0, 0, 128, 255, 255, 255, 0]), width: 3, height: 1 };
    assert.deepEqual(Array.from(binaryMask(rgba, true).data), [255, 0, 0]);
    assert.deepEqual(Array.from(binaryMask(rgba, false).data), [129, 128, 0]);
    const opaque = { data: Uint8Array.from([255, 255, 255, 255, 128, 128, 128, 255, 255, 0, 0, 255]), width: 3, height: 1 };
    assert.deepEqual(Array.from(binaryMask(opaque, true).data), [255, 128, 76]);
  });
  it('resize modes: resize-and-fill stretches the edge rows into the bars', () => {
    const m = blankGray(8, 4);
    m.data.fill(255, 0, 8); // top row white
    const r = resizeMask(m, 2, 8, 8);
    assert.equal(r.width, 8);
    assert.ok(r.data.subarray(0, 8).every((v) => v === 255)); // top bar = first row stretched
  });
});

describe('latent masks', () => {
  it('a 1-px line is lost by bicubic + round but kept by the 8×8 max', () => {
    const m = blankGray(64, 64);
    for (let y = 0; y < 64; y++) m.data[y * 64 + 21] = 255;
    assert.ok(latentMask(m, 8, 8, true, 'bicubic').every((v) => v === 0));
    const max = latentMask(m, 8, 8, true, 'max');
    for (let y = 0; y < 8; y++) assert.deepEqual(Array.from(max.subarray(y * 8, y * 8 + 8)), [0, 0, 1, 0, 0, 0, 0, 0]);
  });
  it('a solid block maps to its latent pixels; rounding makes it binary', () => {
    const m = blankGray(64, 64);
    for (let y = 16; y < 48; y++) m.data.fill(255, y * 64 + 16, y * 64 + 48);
    const lm = latentMask(m, 8, 8, true);
    assert.equal(lm[3 * 8 + 3], 1);
    assert.equal(lm[0], 0);
    assert.ok(lm.every((v) => v === 0 || v === 1));
  });
  it('PIL resize keeps a constant image constant', () => {
    const m = blankGray(37, 23, 200);
    for (const f of ['bicubic', 'lanczos', 'bilinear'] as const) assert.ok(pilResizeGray(m, 11, 50, f).data.every((v) => v === 200), f);
  });
  it('conditioning mask: nearest, torch.round', () => {
    const m = blankGray(16, 16);
    m.data.fill(200, 0, 16 * 8);
    assert.deepEqual(Array.from(conditioningMask(m, 2, 2, true)), [1, 1, 0, 0]);
    assert.ok(Math.abs(conditioningMask(m, 2, 2, false)[0]! - 200 / 255) < 1e-6);
  });
});

describe('masked content', () => {
  it('fill: unmasked pixels unchanged, the hole takes the surrounding colour', () => {
    const img = rgb(32, 32, (x, y) => (x >= 8 && x < 24 && y >= 8 && y < 24 ? [255, 0, 0] : [10, 120, 200]));
    const m = blankGray(32, 32);
    for (let y = 8; y < 24; y++) m.data.fill(255, y * 32 + 8, y * 32 + 24);
    const f = fillMasked(img, m);
    for (let i = 0; i < 32 * 32; i++) {
      const c = Array.from(f.data.subarray(3 * i, 3 * i + 3));
      if (m.data[i] === 0) assert.deepEqual(c, Array.from(img.data.subarray(3 * i, 3 * i + 3)));
      else assert.ok(Math.abs(c[0]! - 10) <= 2 && Math.abs(c[1]! - 120) <= 2 && Math.abs(c[2]! - 200) <= 2, `${c}`);
    }
  });
  it('latent noise / latent nothing replace the latent under the mask only', () => {
    const init = new Float32Array(8).fill(2);
    const lm = Float32Array.from([1, 0]);
    const noise = new Float32Array(8).fill(-1);
    assert.deepEqual(Array.from(applyLatentContent(2, init, lm, noise)), [-1, 2, -1, 2, -1, 2, -1, 2]);
    assert.deepEqual(Array.from(applyLatentContent(3, init, lm)), [0, 2, 0, 2, 0, 2, 0, 2]);
    assert.deepEqual(Array.from(applyLatentContent(1, init, lm)), Array.from(init));
  });
  it('9-channel masked image: src·(1 − w·m)', () => {
    const src = Float32Array.from([0.5, -0.5, 1, 1, 1, 1]);
    const m = { data: Uint8Array.from([255, 0]), width: 2, height: 1 };
    assert.deepEqual(Array.from(maskedImage(src, m, 1, true)), [0, -0.5, 0, 1, 0, 1]);
    assert.deepEqual(Array.from(maskedImage(src, m, 0.5, true)), [0.25, -0.5, 0.5, 1, 0.5, 1]);
    assert.ok(Array.from(maskedImage(src, undefined, 1, true)).every((v) => v === 0));
  });
});

describe('composite over the original', () => {
  const orig = rgb(16, 16, (x, y) => [x * 13, y * 11, 77]);
  const gen = rgb(16, 16, () => [250, 3, 128]);
  it('mask 0 → original byte for byte, mask 255 → generated, between → blended', async () => {
    const m = blankGray(16, 16);
    for (let x = 0; x < 16; x++) m.data[8 * 16 + x] = 255;
    for (let x = 0; x < 16; x++) m.data[7 * 16 + x] = 128;
    for (const colour of [false, true]) {
      const out = await compositeOverOriginal(gen, orig, m, undefined, colour);
      for (let i = 0; i < 256; i++) {
        const o = Array.from(out.data.subarray(3 * i, 3 * i + 3));
        if (m.data[i] === 0) assert.deepEqual(o, Array.from(orig.data.subarray(3 * i, 3 * i + 3)));
        if (m.data[i] === 255) assert.deepEqual(o, [250, 3, 128]);
      }
    }
  });
  it('Pillow alpha_composite of an opaque overlay is exact for every value', () => {
    const o = rgb(256, 1, (x) => [x, 255 - x, x]);
    const ov = overlayImage(o, blankGray(256, 1));
    const dst = { data: new Uint8Array(256 * 4).fill(255), width: 256, height: 1 };
    assert.deepEqual(alphaCompositeRgb(dst, ov).data, o.data);
  });
  it('whole picture doubles the mask', () => {
    assert.deepEqual(Array.from(doubleGray({ data: Uint8Array.from([0, 1, 127, 128, 255]), width: 5, height: 1 }).data), [0, 2, 254, 255, 255]);
  });
});

describe('outpaint canvases', () => {
  it('left 128 on 512×512 → 640×512, source at x=128, mask black from x = 128 + 2·blur', () => {
    assert.deepEqual(expansion(512, 512, 128, ['left']), { left: 128, right: 0, up: 0, down: 0, width: 640, height: 512 });
    const src = rgb(512, 512, () => [1, 2, 3]);
    const c = poorMansCanvas(src, 128, ['left'], 8);
    assert.equal(c.image.width, 640);
    assert.equal(c.mask.data[10 * 640 + 135], 255);
    assert.equal(c.mask.data[10 * 640 + 136], 0);
    assert.equal(c.mask.data[511 * 640 + 639], 0);
  });
  it('the extra of the 64-rounding is split in proportion', () => {
    assert.deepEqual(expansion(500, 500, 10, ['left', 'right', 'up']), { left: 38, right: 38, up: 12, down: 0, width: 576, height: 512 });
  });
});
