// Paste restored faces back, as facexlib's `FaceRestoreHelper.paste_faces_to_input_image`. With a parse mask
// (use_parse=True, A1111's setting, when parsing_parsenet.pth is there): the restored crop and its soft face mask
// (parseMask.ts) are warped back with the inverse affine and blended. Without one: warp a ones-mask the same way,
// erode it 2 px to drop the bilinear black fringe, erode again by a face-size-dependent edge and Gaussian-blur
// it into a feathered mask, then blend. Each face is computed only over its bounding rectangle (plus the blur's
// reach): outside it the mask is exactly 0 and the input pixels are left untouched.
import type { RgbImage } from '../../image/rgbImage';
import { applyAffine, warpGray, warpOnesMask, warpRgb, type Affine, type Rect } from './align';

export interface RestoredFace {
  /** The restorer's output, size×size. */
  face: RgbImage;
  /** Crop → image. */
  inverse: Affine;
  /** The parsing network's soft face mask (size×size, 0..1), when there is one. */
  mask?: Float32Array;
}

/**
 * Which sides of a working region lie on the image border. Beyond such a side cv2 sees "outside the image"
 * (erode ignores it, blur reflects); beyond any other side the mask is really 0 (regions keep a zero margin).
 */
export interface RegionEdges {
  left: boolean;
  top: boolean;
  right: boolean;
  bottom: boolean;
}

const NO_EDGES: RegionEdges = { left: true, top: true, right: true, bottom: true };

/**
 * cv2.erode with an all-ones k×k kernel (anchor at k/2) on a w×h float mask: a separable min filter. Outside
 * the image does not erode (cv2's default border value for erode); outside a non-image side counts as 0.
 */
export function erode(src: Float32Array, w: number, h: number, k: number, edges: RegionEdges = NO_EDGES): Float32Array {
  // cv2 replaces an empty kernel by a 3×3 one.
  const size = k <= 0 ? 3 : k;
  const lo = Math.floor(size / 2);
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const pass = (from: Float32Array, to: Float32Array, n: number, stride: number, lines: number, lineStride: number, before: boolean, after: boolean): void => {
    for (let l = 0; l < lines; l++) {
      const base = l * lineStride;
      for (let i = 0; i < n; i++) {
        let m = Infinity;
        for (let j = i - lo; j < i - lo + size; j++) {
          const v = j < 0 ? (before ? Infinity : 0) : j >= n ? (after ? Infinity : 0) : from[base + j * stride]!;
          if (v < m) m = v;
        }
        to[base + i * stride] = m;
      }
    }
  };
  pass(src, tmp, w, 1, h, w, edges.left, edges.right);
  pass(tmp, out, h, w, w, 1, edges.top, edges.bottom);
  return out;
}

/**
 * cv2.getGaussianKernel(ksize, sigma): with sigma ≤ 0 its fixed tables up to 7 taps, else
 * sigma = 0.3·((ksize − 1)/2 − 1) + 0.8; a positive sigma is used as given.
 */
export function gaussianKernel(ksize: number, sigmaIn = 0): Float64Array {
  const tables: Record<number, number[]> = {
    1: [1],
    3: [0.25, 0.5, 0.25],
    5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
    7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
  };
  const t = sigmaIn > 0 ? undefined : tables[ksize];
  if (t) return Float64Array.from(t);
  const sigma = sigmaIn > 0 ? sigmaIn : 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8;
  const k = new Float64Array(ksize);
  let sum = 0;
  for (let i = 0; i < ksize; i++) {
    const x = i - (ksize - 1) / 2;
    k[i] = Math.exp(-(x * x) / (2 * sigma * sigma));
    sum += k[i]!;
  }
  for (let i = 0; i < ksize; i++) k[i]! /= sum;
  return k;
}

/** cv2.GaussianBlur(mask, (ksize, ksize), sigma): separable, reflect-101 at image sides, 0 beyond other sides. */
export function gaussianBlur(src: Float32Array, w: number, h: number, ksize: number, edges: RegionEdges = NO_EDGES, sigma = 0): Float32Array {
  const k = gaussianKernel(ksize, sigma);
  const half = (ksize - 1) / 2;
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const pass = (from: Float32Array, to: Float32Array, n: number, stride: number, lines: number, lineStride: number, before: boolean, after: boolean): void => {
    for (let l = 0; l < lines; l++) {
      const base = l * lineStride;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        if (i >= half && i + half < n) {
          // Interior: no border handling (most of a large kernel's work).
          for (let t = 0, j = base + (i - half) * stride; t < ksize; t++, j += stride) acc += k[t]! * from[j]!;
          to[base + i * stride] = acc;
          continue;
        }
        for (let t = 0; t < ksize; t++) {
          let j = i + t - half;
          // Reflect-101 (-1 → 1, n → n − 2) only where the side is the image's; n = 1 reflects onto itself.
          if (j < 0) {
            if (!before) continue;
            j = n === 1 ? 0 : -j % (2 * n - 2);
          }
          if (j >= n) {
            if (!after) continue;
            j = n === 1 ? 0 : 2 * (n - 1) - j;
            if (j < 0) j = -j;
          }
          acc += k[t]! * from[base + j * stride]!;
        }
        to[base + i * stride] = acc;
      }
    }
  };
  pass(src, tmp, w, 1, h, w, edges.left, edges.right);
  // The vertical pass runs on the transpose: walking a column of a wide image misses the cache on every tap.
  const tT = transpose(tmp, w, h);
  const outT = new Float32Array(src.length);
  pass(tT, outT, h, 1, w, h, edges.top, edges.bottom);
  return transpose(outT, h, w, out);
}

/** A w×h row-major map transposed to h×w. */
function transpose(src: Float32Array, w: number, h: number, out = new Float32Array(src.length)): Float32Array {
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[x * h + y] = src[y * w + x]!;
  return out;
}

/** Bounding rectangle of the crop's square mapped into the image, grown by `margin`, clipped to the image. */
function faceRect(size: number, inverse: Affine, w: number, h: number, margin: number): Rect {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [cx, cy] of [[-1, -1], [size, -1], [-1, size], [size, size]] as const) {
    const [x, y] = applyAffine(inverse, cx, cy);
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return {
    x0: Math.max(0, Math.floor(x0) - margin),
    y0: Math.max(0, Math.floor(y0) - margin),
    x1: Math.min(w, Math.ceil(x1) + 1 + margin),
    y1: Math.min(h, Math.ceil(y1) + 1 + margin),
  };
}

/** The crop → region transform: the inverse affine followed by a shift to the region's origin. */
function toRegion(inverse: Affine, r: Rect): Affine {
  return Float64Array.of(inverse[0]!, inverse[1]!, inverse[2]! - r.x0, inverse[3]!, inverse[4]!, inverse[5]! - r.y0);
}

/**
 * Returns a new image with every face pasted in turn (later faces over earlier ones, as facexlib). The input is
 * not modified. `upscale` is facexlib's upscale_factor; A1111 uses 1. Buffers are the size of one face's region.
 */
export function pasteFaces(input: RgbImage, faces: readonly RestoredFace[], upscale = 1): RgbImage {
  const { width: w, height: h } = input;
  const out: RgbImage = { data: Uint8Array.from(input.data), width: w, height: h };
  for (const f of faces) {
    const { face, inverse } = f;
    const size = face.width;
    // The blur reaches w_edge px beyond the eroded mask; w_edge ≤ √(area)/20 < side/14, so side/10 covers it.
    const side = size * Math.hypot(inverse[0]!, inverse[3]!);
    const r = faceRect(size, inverse, w, h, Math.ceil(side / 10) + 4);
    const rw = r.x1 - r.x0;
    const rh = r.y1 - r.y0;
    if (rw <= 0 || rh <= 0) continue;
    const edges: RegionEdges = { left: r.x0 === 0, top: r.y0 === 0, right: r.x1 === w, bottom: r.y1 === h };
    const local = toRegion(inverse, r);
    const all: Rect = { x0: 0, y0: 0, x1: rw, y1: rh };

    const restored: RgbImage = { data: new Uint8Array(rw * rh * 3), width: rw, height: rh };
    // facexlib warps with a black border, so the face's outermost pixel is dimmed wherever its bilinear sample
    // reaches past the crop; its even-sized erosion removes that fringe on the left and top only. Replicating
    // the edge instead leaves no dark fringe to remove (the mask still decides where the face goes).
    warpRgb(face, local, restored, 'replicate');
    if (f.mask) {
      // use_parse: inv_soft_mask = warpAffine(parse mask); the restored face is pasted without erosion.
      const soft = new Float32Array(rw * rh);
      warpGray(f.mask, size, face.height, local, soft, rw, all);
      blendRegion(out, restored, soft, undefined, r);
      continue;
    }
    const mask = new Float32Array(rw * rh);
    warpOnesMask(size, face.height, local, mask, rw, all);
    // "remove the black borders": the bilinear warp darkens a 1 px fringe of the pasted face.
    const eroded = erode(mask, rw, rh, Math.trunc(2 * upscale), edges);
    let area = 0;
    for (let i = 0; i < eroded.length; i++) area += eroded[i]!;
    // The feather scales with the face: w_edge = ⌊√area⌋ // 20, eroded by 2·w_edge, blurred with 2·w_edge + 1 taps.
    const wEdge = Math.floor(Math.floor(Math.sqrt(area)) / 20);
    const soft = gaussianBlur(erode(eroded, rw, rh, wEdge * 2, edges), rw, rh, wEdge * 2 + 1, edges);

    blendRegion(out, restored, soft, eroded, r);
  }
  return out;
}

/**
 * out = orig + a·(face − orig) over region `r`, truncated to uint8, where a = soft (· eroded when given).
 * facexlib blends s·(e·p) + (1 − s)·orig: the eroded mask e premultiplies the face. But its soft mask always
 * reaches one pixel past e on the right and bottom (even cv2 kernels erode asymmetrically), so where e = 0 and
 * s > 0 it blends towards black: s = 0.25 for the 20–40 px faces of a group photo, a visible dark line. Using e as
 * an alpha instead is the same wherever e = 1 (everywhere inside the face, and wherever s is not negligible on
 * faces of A1111's usual size) and leaves an unchanged pixel exactly unchanged. Then astype(uint8): truncation.
 */
function blendRegion(out: RgbImage, face: RgbImage, soft: Float32Array, eroded: Float32Array | undefined, r: Rect): void {
  const d = out.data;
  const p = face.data;
  const rw = r.x1 - r.x0;
  const rh = r.y1 - r.y0;
  for (let y = 0; y < rh; y++) {
    for (let x = 0; x < rw; x++) {
      const i = y * rw + x;
      const a = eroded ? soft[i]! * eroded[i]! : soft[i]!;
      if (a === 0) continue;
      const o = ((y + r.y0) * out.width + x + r.x0) * 3;
      for (let c = 0; c < 3; c++) {
        const orig = d[o + c]!;
        const v = orig + a * (p[3 * i + c]! - orig);
        d[o + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
      }
    }
  }
}
