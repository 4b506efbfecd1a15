// Face alignment as facexlib's FaceRestoreHelper does it for GFPGAN/CodeFormer: a 5-point similarity transform
// (rotation, uniform scale, translation) onto the FFHQ template, then an affine warp of the image into the
// restorer's square input. Affines are cv2's 2×3 row-major layout: x' = m0·x + m1·y + m2, y' = m3·x + m4·y + m5,
// with pixel centres at integer coordinates (cv2.warpAffine's convention).
import type { RgbImage } from '../../image/rgbImage';

export type Affine = Float64Array;

/** facexlib's `face_template` for face_size 512: left eye, right eye, nose, left / right mouth corner. */
export const FFHQ_TEMPLATE_512: readonly number[] = [
  192.98138, 239.94708, 318.90277, 240.1936, 256.63416, 314.01935, 201.26117, 371.41043, 313.08905, 371.15118,
];

/** facexlib fills outside the image with (135, 133, 132) in BGR: this is the same grey in RGB. */
export const ALIGN_BORDER_RGB: readonly [number, number, number] = [132, 133, 135];

/** The template for a restorer input of `size`×`size` (facexlib scales the 512 template: `template * size / 512`). */
export function templateFor(size: number): Float64Array {
  const k = size / 512;
  return Float64Array.from(FFHQ_TEMPLATE_512, (v) => v * k);
}

/**
 * The least-squares similarity taking `src` points onto `dst` (both x0, y0, x1, y1, ...): Umeyama's method
 * without reflection, which in 2-D has the closed form [a −b; b a] from the centred dot and cross sums. facexlib
 * uses cv2.estimateAffinePartial2D with LMEDS; on 5 consistent points both give the least-squares fit.
 */
export function estimateSimilarity(src: ArrayLike<number>, dst: ArrayLike<number>): Affine {
  const n = src.length / 2;
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[2 * i]!;
    sy += src[2 * i + 1]!;
    dx += dst[2 * i]!;
    dy += dst[2 * i + 1]!;
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const px = src[2 * i]! - sx;
    const py = src[2 * i + 1]! - sy;
    const qx = dst[2 * i]! - dx;
    const qy = dst[2 * i + 1]! - dy;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (!(norm > 0)) throw new Error('face alignment: the landmarks coincide');
  const a = dot / norm;
  const b = cross / norm;
  return Float64Array.of(a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy));
}

/** cv2.invertAffineTransform. */
export function invertAffine(m: Affine): Affine {
  const det = m[0]! * m[4]! - m[1]! * m[3]!;
  if (det === 0) throw new Error('face alignment: singular transform');
  const i0 = m[4]! / det;
  const i1 = -m[1]! / det;
  const i3 = -m[3]! / det;
  const i4 = m[0]! / det;
  return Float64Array.of(i0, i1, -(i0 * m[2]! + i1 * m[5]!), i3, i4, -(i3 * m[2]! + i4 * m[5]!));
}

export function applyAffine(m: Affine, x: number, y: number): [number, number] {
  return [m[0]! * x + m[1]! * y + m[2]!, m[3]! * x + m[4]! * y + m[5]!];
}

/**
 * Region of the destination to fill: x0, y0 inclusive, x1, y1 exclusive. Restricting a warp to it keeps the
 * cost of pasting a face proportional to the face, not to the whole (possibly upscaled) image.
 */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * cv2.warpAffine(src, m, (outW, outH)) with INTER_LINEAR, for 3-channel uint8: each output pixel samples the
 * source at m⁻¹·(x, y). Neighbours outside the source count as the constant `border` colour, or with
 * 'replicate' as the nearest edge pixel (cv2.BORDER_REPLICATE). Results are rounded (cv2's fixed-point bilinear
 * differs by at most one level). Writes only `rect` of `out` when given.
 */
export function warpRgb(src: RgbImage, m: Affine, out: RgbImage, border: readonly [number, number, number] | 'replicate' = [0, 0, 0], rect?: Rect): void {
  const inv = invertAffine(m);
  const { width: sw, height: sh, data: s } = src;
  const d = out.data;
  const r = rect ?? { x0: 0, y0: 0, x1: out.width, y1: out.height };
  if (border === 'replicate') {
    warpReplicate(src, inv, out, r);
    return;
  }
  const b0 = border[0];
  const b1 = border[1];
  const b2 = border[2];
  for (let y = r.y0; y < r.y1; y++) {
    // Source coordinates advance linearly along a row: one multiply-add per pixel instead of a matrix product.
    let fx = inv[0]! * r.x0 + inv[1]! * y + inv[2]!;
    let fy = inv[3]! * r.x0 + inv[4]! * y + inv[5]!;
    let o = (y * out.width + r.x0) * 3;
    for (let x = r.x0; x < r.x1; x++, fx += inv[0]!, fy += inv[3]!, o += 3) {
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      if (x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh) {
        d[o] = b0;
        d[o + 1] = b1;
        d[o + 2] = b2;
        continue;
      }
      const ax = fx - x0;
      const ay = fy - y0;
      const w00 = (1 - ax) * (1 - ay);
      const w01 = ax * (1 - ay);
      const w10 = (1 - ax) * ay;
      const w11 = ax * ay;
      const in0 = y0 >= 0;
      const in1 = y0 + 1 < sh;
      const inL = x0 >= 0;
      const inR = x0 + 1 < sw;
      const p00 = in0 && inL ? (y0 * sw + x0) * 3 : -1;
      const p01 = in0 && inR ? (y0 * sw + x0 + 1) * 3 : -1;
      const p10 = in1 && inL ? ((y0 + 1) * sw + x0) * 3 : -1;
      const p11 = in1 && inR ? ((y0 + 1) * sw + x0 + 1) * 3 : -1;
      for (let c = 0; c < 3; c++) {
        const bc = c === 0 ? b0 : c === 1 ? b1 : b2;
        const v =
          w00 * (p00 >= 0 ? s[p00 + c]! : bc) +
          w01 * (p01 >= 0 ? s[p01 + c]! : bc) +
          w10 * (p10 >= 0 ? s[p10 + c]! : bc) +
          w11 * (p11 >= 0 ? s[p11 + c]! : bc);
        d[o + c] = Math.round(v);
      }
    }
  }
}

/** warpRgb with clamped (edge-replicating) source coordinates; `inv` maps output → source. */
function warpReplicate(src: RgbImage, inv: Affine, out: RgbImage, r: Rect): void {
  const { width: sw, height: sh, data: s } = src;
  const d = out.data;
  for (let y = r.y0; y < r.y1; y++) {
    let fx = inv[0]! * r.x0 + inv[1]! * y + inv[2]!;
    let fy = inv[3]! * r.x0 + inv[4]! * y + inv[5]!;
    let o = (y * out.width + r.x0) * 3;
    for (let x = r.x0; x < r.x1; x++, fx += inv[0]!, fy += inv[3]!, o += 3) {
      const cx = fx < 0 ? 0 : fx > sw - 1 ? sw - 1 : fx;
      const cy = fy < 0 ? 0 : fy > sh - 1 ? sh - 1 : fy;
      const x0 = Math.min(sw - 2, Math.floor(cx));
      const y0 = Math.min(sh - 2, Math.floor(cy));
      const ax = cx - x0;
      const ay = cy - y0;
      const p00 = (y0 * sw + x0) * 3;
      const p10 = p00 + sw * 3;
      for (let c = 0; c < 3; c++) {
        const top = s[p00 + c]! + ax * (s[p00 + 3 + c]! - s[p00 + c]!);
        const bottom = s[p10 + c]! + ax * (s[p10 + 3 + c]! - s[p10 + c]!);
        d[o + c] = Math.round(top + ay * (bottom - top));
      }
    }
  }
}

/**
 * The same warp for a constant 1-valued srcW×srcH mask (facexlib warps `np.ones(face_size)` to get the pasted
 * area): only the border falloff needs sampling, so no source array is read. Writes `rect` of the outW-wide `out`.
 */
export function warpOnesMask(srcW: number, srcH: number, m: Affine, out: Float32Array, outW: number, rect: Rect): void {
  const inv = invertAffine(m);
  // Weight of one axis: 1 inside, a linear ramp over the one-pixel band where a neighbour falls outside.
  const axis = (f: number, n: number): number => (f < -1 || f > n ? 0 : f < 0 ? 1 + f : f > n - 1 ? n - f : 1);
  for (let y = rect.y0; y < rect.y1; y++) {
    let fx = inv[0]! * rect.x0 + inv[1]! * y + inv[2]!;
    let fy = inv[3]! * rect.x0 + inv[4]! * y + inv[5]!;
    for (let x = rect.x0, o = y * outW + rect.x0; x < rect.x1; x++, o++, fx += inv[0]!, fy += inv[3]!) {
      out[o] = axis(fx, srcW) * axis(fy, srcH);
    }
  }
}

/**
 * cv2.warpAffine of a one-channel float map with INTER_LINEAR and a 0 border (facexlib warps the parse mask with
 * flags=3, INTER_AREA, which warpAffine treats as linear). Writes `rect` of the outW-wide `out`.
 */
export function warpGray(src: Float32Array, sw: number, sh: number, m: Affine, out: Float32Array, outW: number, rect: Rect): void {
  const inv = invertAffine(m);
  const at = (x: number, y: number): number => (x < 0 || y < 0 || x >= sw || y >= sh ? 0 : src[y * sw + x]!);
  for (let y = rect.y0; y < rect.y1; y++) {
    let fx = inv[0]! * rect.x0 + inv[1]! * y + inv[2]!;
    let fy = inv[3]! * rect.x0 + inv[4]! * y + inv[5]!;
    for (let x = rect.x0, o = y * outW + rect.x0; x < rect.x1; x++, o++, fx += inv[0]!, fy += inv[3]!) {
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      if (x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh) {
        out[o] = 0;
        continue;
      }
      const ax = fx - x0;
      const ay = fy - y0;
      out[o] = (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) + ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1));
    }
  }
}

export interface AlignedFace {
  /** The restorer's input crop, size×size. */
  face: RgbImage;
  /** Image → crop. */
  affine: Affine;
  /** Crop → image (facexlib's `inverse_affine`, for paste-back). */
  inverse: Affine;
}

/** facexlib `align_warp_face`: similarity from the 5 landmarks to the template, warp with the grey border. */
export function alignFace(img: RgbImage, landmarks: ArrayLike<number>, size: number): AlignedFace {
  const affine = estimateSimilarity(landmarks, templateFor(size));
  const face: RgbImage = { data: new Uint8Array(size * size * 3), width: size, height: size };
  warpRgb(img, affine, face, ALIGN_BORDER_RGB);
  return { face, affine, inverse: invertAffine(affine) };
}
