/** Pixels of any channel count, interleaved: what RGB images and grey masks both are. */
export interface PixelBuffer {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * PIL `paste(src, (x, y))` in place: `src` is copied onto `dst` at (x, y), clipped at the edges (negative offsets
 * crop). Both buffers have `channels` interleaved bytes per pixel.
 */
export function pasteInto(dst: PixelBuffer, src: PixelBuffer, x: number, y: number, channels: number): void {
  const xs = Math.max(0, x);
  const xe = Math.min(dst.width, x + src.width);
  if (xe <= xs) return;
  for (let dy = Math.max(0, y); dy < Math.min(dst.height, y + src.height); dy++) {
    const s = ((dy - y) * src.width + xs - x) * channels;
    dst.data.set(src.data.subarray(s, s + (xe - xs) * channels), (dy * dst.width + xs) * channels);
  }
}
