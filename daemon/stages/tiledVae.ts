// Tiled VAE decode and encode for large images (as diffusers' AutoencoderKL.tiled_decode/tiled_encode): the
// latent (or image) is cut into overlapping tiles, each runs through the network on its own — memory is bounded by
// one tile — and the results are cross-faded. The cross-fade ramps over the middle half of each overlap, so the
// quarter of the overlap nearest a tile's cut edge (where the network missed context) never shows. GroupNorm sees
// one tile's statistics, so tiles differ slightly in tone from an untiled decode; the ramps hide the joins.
import type { ImageEncoder, LatentDecoder, RawLatent } from '../parts/vae';

/** Tile size and overlap in latent pixels (×8 in the image); defaults 64 (512 px) and 16 (128 px). */
export interface TileOptions {
  tile: number;
  overlap: number;
}

export const DEFAULT_TILES: TileOptions = { tile: 64, overlap: 16 };

/** Tile starts along an axis: evenly spread, each overlap ≥ `overlap`, the last flush with the end. */
export function tileStarts(len: number, tile: number, overlap: number): number[] {
  if (len <= tile) return [0];
  const n = Math.ceil((len - overlap) / (tile - overlap));
  const step = (len - tile) / (n - 1);
  return Array.from({ length: n }, (_, i) => Math.round(i * step));
}

/**
 * Cross-fade weights of tile `i` along one axis, at `f` samples per latent pixel: 0 over the outer quarter of an
 * overlap with a neighbour, a linear ramp over its middle half, 1 elsewhere. Neighbours' ramps sum to 1.
 */
export function axisWeights(starts: readonly number[], i: number, size: number, f: number): Float32Array {
  const n = size * f;
  const w = new Float32Array(n).fill(1);
  const ramp = (ov: number, at: (p: number) => number) => {
    const a = (ov * f) / 4, b = (ov * f * 3) / 4;
    for (let p = 0; p < n; p++) w[p]! *= Math.min(1, Math.max(0, (at(p) + 0.5 - a) / (b - a)));
  };
  if (i > 0) ramp(starts[i - 1]! + size - starts[i]!, (p) => p);
  if (i < starts.length - 1) ramp(starts[i]! + size - starts[i + 1]!, (p) => n - 1 - p);
  return w;
}

/** Copy a c×th×tw window at (y0, x0) out of a c×h×w planar array. */
function crop(src: Float32Array, c: number, h: number, w: number, y0: number, x0: number, th: number, tw: number): Float32Array {
  const out = new Float32Array(c * th * tw);
  for (let k = 0; k < c; k++) for (let y = 0; y < th; y++) out.set(src.subarray(k * h * w + (y0 + y) * w + x0, k * h * w + (y0 + y) * w + x0 + tw), (k * th + y) * tw);
  return out;
}

/** Runs `one` on every tile of a c×h×w input (latent units ×`fin`) and cross-fades its outputs (×`fout`). */
async function tiled(
  input: Float32Array, c: number, h: number, w: number, fin: number, fout: number, o: TileOptions,
  one: (tile: Float32Array, th: number, tw: number) => Promise<{ data: Float32Array; c: number }>,
): Promise<{ data: Float32Array; c: number }> {
  const th = Math.min(o.tile, h), tw = Math.min(o.tile, w);
  const ys = tileStarts(h, o.tile, o.overlap), xs = tileStarts(w, o.tile, o.overlap);
  const H = h * fout, W = w * fout;
  let acc: Float32Array | undefined;
  let oc = 0;
  const wsum = new Float32Array(H * W);
  for (let iy = 0; iy < ys.length; iy++) {
    const wy = axisWeights(ys, iy, th, fout);
    for (let ix = 0; ix < xs.length; ix++) {
      const wx = axisWeights(xs, ix, tw, fout);
      const r = await one(crop(input, c, h * fin, w * fin, ys[iy]! * fin, xs[ix]! * fin, th * fin, tw * fin), th, tw);
      oc = r.c;
      acc ??= new Float32Array(oc * H * W);
      const TH = th * fout, TW = tw * fout, Y0 = ys[iy]! * fout, X0 = xs[ix]! * fout;
      for (let y = 0; y < TH; y++) {
        for (let x = 0; x < TW; x++) {
          const wt = wy[y]! * wx[x]!;
          if (wt === 0) continue;
          const at = (Y0 + y) * W + X0 + x;
          wsum[at]! += wt;
          for (let k = 0; k < oc; k++) acc[k * H * W + at]! += wt * r.data[(k * TH + y) * TW + x]!;
        }
      }
    }
  }
  const out = acc!;
  for (let k = 0; k < oc; k++) for (let i = 0; i < H * W; i++) out[k * H * W + i]! /= wsum[i]!;
  return { data: out, c: oc };
}

/** A decoder that decodes latents larger than one tile tile by tile. */
export class TiledDecoder implements LatentDecoder {
  constructor(private readonly inner: LatentDecoder, private readonly o: TileOptions = DEFAULT_TILES) {}

  async decode(latent: Float32Array, h: number, w: number): Promise<{ image: Float32Array; height: number; width: number }> {
    if (h <= this.o.tile && w <= this.o.tile) return this.inner.decode(latent, h, w);
    const r = await tiled(latent, 4, h, w, 1, 8, this.o, async (t, th, tw) => ({ data: (await this.inner.decode(t, th, tw)).image, c: 3 }));
    return { image: r.data, height: 8 * h, width: 8 * w };
  }
}

/** An encoder that encodes images larger than one tile tile by tile (raw outputs blended, then one posterior). */
export class TiledEncoder implements ImageEncoder {
  constructor(private readonly inner: ImageEncoder, private readonly o: TileOptions = DEFAULT_TILES) {}

  async encodeRaw(image: Float32Array, height: number, width: number): Promise<RawLatent> {
    const h = Math.floor(height / 8), w = Math.floor(width / 8);
    if (h <= this.o.tile && w <= this.o.tile) return this.inner.encodeRaw(image, height, width);
    const r = await tiled(image, 3, h, w, 8, 1, this.o, async (t, th, tw) => {
      const raw = await this.inner.encodeRaw(t, 8 * th, 8 * tw);
      return { data: raw.data, c: raw.c };
    });
    return { data: r.data, c: r.c, h, w };
  }

  toLatent(raw: RawLatent, noise: (n: number) => Float32Array): Float32Array {
    return this.inner.toLatent(raw, noise);
  }
}
