// Pillow's `Image.resize` for 8-bit one-channel images (libImaging/Resample.c): separable convolution with the
// filter's support widened by the downscale factor, coefficients normalised in double then rounded to 22-bit
// fixed point, horizontal pass first, each pass clipped to 8 bits. Masks go through this so the latent mask and
// the resized masks match A1111's byte for byte.
import type { GrayImage } from './gray';

export type PilFilter = 'bilinear' | 'bicubic' | 'lanczos';

const PRECISION_BITS = 32 - 8 - 2;

function bicubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}
const sinc = (x: number): number => (x === 0 ? 1 : Math.sin(x * Math.PI) / (x * Math.PI));
const lanczos = (x: number): number => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0);
const bilinear = (x: number): number => (x < 0 ? Math.max(0, 1 + x) : Math.max(0, 1 - x));

const FILTERS: Record<PilFilter, { fn: (x: number) => number; support: number }> = {
  bilinear: { fn: bilinear, support: 1 },
  bicubic: { fn: bicubic, support: 2 },
  lanczos: { fn: lanczos, support: 3 },
};

interface Coeffs {
  ksize: number;
  bounds: Int32Array; // xmin, count per output
  kk: Int32Array;
}

function precompute(inSize: number, outSize: number, filter: PilFilter): Coeffs {
  const { fn, support: base } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = Math.max(1, scale);
  const support = base * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? k[x]! / ww : k[x]!;
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

const clip8 = (ss: number): number => {
  const v = Math.floor(ss / (1 << PRECISION_BITS));
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

/** PIL `resize((width, height), filter)` of an "L" image. */
export function pilResizeGray(src: GrayImage, width: number, height: number, filter: PilFilter): GrayImage {
  if (src.width === width && src.height === height) return { data: src.data.slice(), width, height };
  let cur = src;
  if (width !== src.width) {
    const c = precompute(src.width, width, filter);
    const out = new Uint8Array(width * src.height);
    for (let y = 0; y < src.height; y++) {
      const row = y * src.width;
      for (let xx = 0; xx < width; xx++) {
        const xmin = c.bounds[2 * xx]!;
        const n = c.bounds[2 * xx + 1]!;
        let ss = 1 << (PRECISION_BITS - 1);
        for (let x = 0; x < n; x++) ss += src.data[row + x + xmin]! * c.kk[xx * c.ksize + x]!;
        out[y * width + xx] = clip8(ss);
      }
    }
    cur = { data: out, width, height: src.height };
  }
  if (height !== cur.height) {
    const c = precompute(cur.height, height, filter);
    const out = new Uint8Array(width * height);
    for (let yy = 0; yy < height; yy++) {
      const ymin = c.bounds[2 * yy]!;
      const n = c.bounds[2 * yy + 1]!;
      for (let x = 0; x < width; x++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let y = 0; y < n; y++) ss += cur.data[(y + ymin) * width + x]! * c.kk[yy * c.ksize + y]!;
        out[yy * width + x] = clip8(ss);
      }
    }
    cur = { data: out, width, height };
  }
  return cur;
}
