// Tiled inference (A1111 `modules/upscaler_utils.py: upscale_with_model`), with memory bounded by the tile: the image
// is cut into tiles of at most tileSize² input pixels, each run through the network, and the results are cross-faded
// where they overlap. Better than A1111's split_grid on one point, on purpose: each tile also reads `context` extra
// pixels on its inner sides (the network's receptive radius, capped at a quarter tile) that are thrown away, so a
// tile's kept pixels see exactly what they would see untiled. Tiled output then equals untiled output (to float noise)
// for networks whose receptive field fits, and the linear cross-fade over `overlap` hides what remains for the others.
// Output is assembled one strip of tiles at a time: a float accumulator one tile-row high, never the whole image.
import { throwIfAborted } from '../errors';
import type { RgbImage } from './rgbImage';

/** A network seen by the tile runner: planar [3, h, w] in [0, 1] (its channel order) → [3, h·s, w·s]. */
export interface TileNetwork {
  run(planar: Float32Array, height: number, width: number): Promise<{ data: Float32Array; height: number; width: number }>;
  /** Input sides must be multiples of this (the runner pads by edge replication and crops). */
  multipleOf: number;
  /** Receptive radius in input pixels (how much context a tile reads on its inner sides). */
  context: number;
  channelOrder: 'rgb' | 'bgr';
}

export interface TileOptions {
  /** Tile side in input pixels; 0 = the whole image in one run (A1111's 0). */
  tileSize: number;
  /** Cross-fade width between neighbouring tiles, in input pixels (A1111 ESRGAN_tile_overlap). */
  overlap: number;
  signal?: AbortSignal;
  /** Called after each tile: done of total. */
  onTile?: (done: number, total: number) => void;
}

/** One tile along one axis: the input window it runs on and the part of it that is kept. */
export interface AxisTile {
  start: number;
  end: number;
  keepStart: number;
  keepEnd: number;
}

/** Tiles along an axis of `length` pixels: evenly spread (as split_grid), kept parts overlapping by ≥ overlap − 1. */
export function axisTiles(length: number, tileSize: number, context: number, overlap: number): AxisTile[] {
  if (tileSize <= 0 || length <= tileSize) return [{ start: 0, end: length, keepStart: 0, keepEnd: length }];
  const pad = Math.min(context, Math.floor(tileSize / 4));
  const core = tileSize - 2 * pad;
  const ov = Math.max(0, Math.min(overlap, core - 1));
  const n = Math.ceil((length - tileSize) / (core - ov)) + 1;
  const step = (length - tileSize) / (n - 1);
  return Array.from({ length: n }, (_, i) => {
    const start = Math.round(i * step);
    return { start, end: start + tileSize, keepStart: i === 0 ? 0 : start + pad, keepEnd: i === n - 1 ? length : start + tileSize - pad };
  });
}

/**
 * Per-tile cross-fade weights along one axis in output pixels, normalised so they sum to 1 everywhere: linear
 * ramps across each overlap of kept parts (A1111's combine_grid ramp, symmetric).
 */
export function axisWeights(tiles: readonly AxisTile[], scale: number): Float32Array[] {
  const ws = tiles.map((t, i) => {
    const a = t.keepStart * scale;
    const w = new Float32Array((t.keepEnd - t.keepStart) * scale).fill(1);
    const prev = tiles[i - 1];
    const next = tiles[i + 1];
    if (prev && prev.keepEnd * scale > a) {
      const len = prev.keepEnd * scale - a;
      for (let x = 0; x < len; x++) w[x] = Math.min(w[x]!, (x + 0.5) / len);
    }
    if (next && next.keepStart * scale < t.keepEnd * scale) {
      const from = next.keepStart * scale - a;
      const len = w.length - from;
      for (let x = from; x < w.length; x++) w[x] = Math.min(w[x]!, (w.length - x - 0.5) / len);
    }
    return w;
  });
  const total = new Float32Array(tiles[tiles.length - 1]!.keepEnd * scale);
  tiles.forEach((t, i) => ws[i]!.forEach((v, k) => (total[t.keepStart * scale + k]! += v)));
  tiles.forEach((t, i) => ws[i]!.forEach((v, k) => (ws[i]![k] = v / total[t.keepStart * scale + k]!)));
  return ws;
}

/** Finished output rows, HWC float in [0, 1]-ish (clamped by the caller). */
export type RowSink = (y0: number, rows: Float32Array, count: number, width: number) => void;

/** Cuts one tile out of the image as planar floats in the network's order, edge-padded to `multipleOf`. */
function cutTile(img: RgbImage, x0: number, y0: number, w: number, h: number, net: TileNetwork): { data: Float32Array; pw: number; ph: number } {
  const m = Math.max(1, net.multipleOf);
  const pw = Math.ceil(w / m) * m;
  const ph = Math.ceil(h / m) * m;
  const plane = pw * ph;
  const out = new Float32Array(3 * plane);
  const order = net.channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  for (let y = 0; y < ph; y++) {
    const sy = y0 + Math.min(y, h - 1);
    for (let x = 0; x < pw; x++) {
      const si = (sy * img.width + x0 + Math.min(x, w - 1)) * 3;
      const di = y * pw + x;
      out[di] = img.data[si + order[0]!]! / 255;
      out[plane + di] = img.data[si + order[1]!]! / 255;
      out[2 * plane + di] = img.data[si + order[2]!]! / 255;
    }
  }
  return { data: out, pw, ph };
}

/**
 * Runs the network over the image tile by tile and streams finished rows to `sink`. Returns the scale, learnt
 * from the first tile's output as A1111 does (`out_w // tile_w`). Memory: one tile's input and output plus an
 * accumulator of one tile-row of output.
 */
export async function runTiles(img: RgbImage, net: TileNetwork, opts: TileOptions, sink: RowSink): Promise<number> {
  const xs = axisTiles(img.width, opts.tileSize, net.context, opts.overlap);
  const ys = axisTiles(img.height, opts.tileSize, net.context, opts.overlap);
  const total = xs.length * ys.length;
  const rgbIndex = net.channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  let scale = 0;
  let wx: Float32Array[] = [];
  let wy: Float32Array[] = [];
  let acc = new Float32Array(0);
  let accY0 = 0;
  let accY1 = 0;
  let outW = 0;
  let done = 0;
  for (let j = 0; j < ys.length; j++) {
    const ty = ys[j]!;
    for (let i = 0; i < xs.length; i++) {
      throwIfAborted(opts.signal);
      const tx = xs[i]!;
      const w = tx.end - tx.start;
      const h = ty.end - ty.start;
      const cut = cutTile(img, tx.start, ty.start, w, h, net);
      const res = await net.run(cut.data, cut.ph, cut.pw);
      if (scale === 0) {
        scale = res.width / cut.pw;
        if (!Number.isInteger(scale) || scale < 1 || res.height !== cut.ph * scale) {
          throw new Error(`the upscaler turned a ${cut.pw}×${cut.ph} tile into ${res.width}×${res.height}: not an integer upscale`);
        }
        wx = axisWeights(xs, scale);
        wy = axisWeights(ys, scale);
        outW = img.width * scale;
      } else if (res.width !== cut.pw * scale || res.height !== cut.ph * scale) {
        throw new Error(`the upscaler gave ${res.width}×${res.height} for a ${cut.pw}×${cut.ph} tile (scale ${scale} expected)`);
      }
      if (i === 0) {
        // A new strip: its accumulator starts with the rows the previous strip shares with it.
        const y0 = ty.keepStart * scale;
        const y1 = ty.keepEnd * scale;
        const next = new Float32Array((y1 - y0) * outW * 3);
        if (accY1 > y0) next.set(acc.subarray((y0 - accY0) * outW * 3, (accY1 - accY0) * outW * 3));
        acc = next;
        accY0 = y0;
        accY1 = y1;
      }
      const plane = res.width * res.height;
      const wxs = wx[i]!;
      const wys = wy[j]!;
      const kx0 = tx.keepStart * scale;
      const kx1 = tx.keepEnd * scale;
      const ox = tx.start * scale;
      const oy = ty.start * scale;
      for (let y = accY0; y < accY1; y++) {
        const wyv = wys[y - accY0]!;
        const srcRow = (y - oy) * res.width - ox;
        const dstRow = (y - accY0) * outW * 3;
        for (let c = 0; c < 3; c++) {
          const src = res.data.subarray(c * plane);
          const dc = rgbIndex[c]!;
          for (let x = kx0; x < kx1; x++) acc[dstRow + x * 3 + dc]! += wyv * wxs[x - kx0]! * src[srcRow + x]!;
        }
      }
      opts.onTile?.(++done, total);
    }
    // Rows the next strip does not touch are final.
    const until = j + 1 < ys.length ? ys[j + 1]!.keepStart * scale : accY1;
    sink(accY0, acc, until - accY0, outW);
  }
  return scale;
}

/** Tiled upscale to 8-bit RGB: clamp, ×255, round (A1111's torch_bgr_to_pil_image). */
export async function upscaleTiled(img: RgbImage, net: TileNetwork, opts: TileOptions): Promise<RgbImage> {
  let out: Uint8Array | undefined;
  let width = 0;
  const scale = await runTiles(img, net, opts, (y0, rows, count, w) => {
    if (!out) {
      width = w;
      out = new Uint8Array(w * (img.height * (w / img.width)) * 3);
    }
    const n = count * w * 3;
    const base = y0 * w * 3;
    for (let k = 0; k < n; k++) {
      const v = rows[k]!;
      out[base + k] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
    }
  });
  return { data: out!, width, height: img.height * scale };
}
