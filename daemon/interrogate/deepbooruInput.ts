// DeepDanbooru's input as A1111's tag_multi makes it: the 512×512 image (already resized and filled) as
// float32(u8) / 255 — the model's own permute to NCHW is done here, so the graph takes [1, 3, H, W].
import type { RgbImage } from '../image/rgbImage';

export function deepbooruInput(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) out[c * n + i] = img.data[3 * i + c]! / 255;
  return out;
}
