/** An 8-bit RGB image, interleaved (HWC), as sharp gives and takes raw pixels. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export function blankRgb(width: number, height: number): RgbImage {
  return { data: new Uint8Array(width * height * 3), width, height };
}

/** HWC uint8 → CHW float in [-1, 1] (the VAE's input range). */
export function rgbToPlanar(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  const src = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[i] = src[j]! / 127.5 - 1;
    out[n + i] = src[j + 1]! / 127.5 - 1;
    out[2 * n + i] = src[j + 2]! / 127.5 - 1;
  }
  return out;
}

/** CHW float in [-1, 1] → HWC uint8, as A1111: clamp((x + 1) / 2) · 255, truncated. */
export function planarToRgb(planar: Float32Array, width: number, height: number): RgbImage {
  const n = width * height;
  const out = new Uint8Array(3 * n);
  for (let c = 0; c < 3; c++) {
    const base = c * n;
    for (let i = 0; i < n; i++) {
      const v = (planar[base + i]! + 1) * 0.5;
      out[i * 3 + c] = v <= 0 ? 0 : v >= 1 ? 255 : Math.floor(v * 255);
    }
  }
  return { data: out, width, height };
}
