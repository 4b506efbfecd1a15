// A1111 modules/rng.py ImageRNG as a pure function: per-image generators, variation seed via A1111's slerp,
// "resize seed from", and ENSD (generators re-created with seed + ENSD after the first draw).
import { createRng, type Rng, type RngSource } from './rng';

export interface ImageNoiseOptions {
  source: RngSource;
  /** Per-image seeds, 0 … 2^64 − 1 (torch `manual_seed`). */
  seeds: readonly (number | bigint)[];
  subseeds?: readonly (number | bigint)[];
  subseedStrength?: number;
  seedResizeFromH?: number;
  seedResizeFromW?: number;
  /** Latent shape per image [C, H, W] (H, W already divided by 8). */
  shape: [number, number, number];
  /** Eta noise seed delta (opts.eta_noise_seed_delta); 0 = off. */
  ensd?: number;
}

/**
 * A1111 slerp(val, low, high) on (C, H, W): norms and dots along dim 1 (H), so one angle per (channel, column).
 * Quirk: if the mean dot > 0.9995 it returns low·val + high·(1 − val) (weights reversed).
 */
export function slerp(val: number, low: Float32Array, high: Float32Array, [C, H, W]: [number, number, number]): Float32Array {
  const out = new Float32Array(low.length);
  const dot = new Float64Array(C * W);
  let mean = 0;
  for (let c = 0; c < C; c++) for (let w = 0; w < W; w++) {
    let nl = 0, nh = 0, d = 0;
    for (let h = 0; h < H; h++) {
      const i = (c * H + h) * W + w;
      nl += low[i]! * low[i]!; nh += high[i]! * high[i]!; d += low[i]! * high[i]!;
    }
    dot[c * W + w] = d / (Math.sqrt(nl) * Math.sqrt(nh));
    mean += dot[c * W + w]!;
  }
  mean /= C * W;
  if (mean > 0.9995) {
    for (let i = 0; i < out.length; i++) out[i] = low[i]! * val + high[i]! * (1 - val);
    return out;
  }
  for (let c = 0; c < C; c++) for (let w = 0; w < W; w++) {
    const omega = Math.acos(dot[c * W + w]!), so = Math.sin(omega);
    const a = Math.sin((1 - val) * omega) / so, b = Math.sin(val * omega) / so;
    for (let h = 0; h < H; h++) {
      const i = (c * H + h) * W + w;
      out[i] = a * low[i]! + b * high[i]!;
    }
  }
  return out;
}

/** Paste `small` (C, h, w) centred into `big` (C, H, W), cropping when larger (ImageRNG.first). */
function pasteCentred(big: Float32Array, [C, H, W]: [number, number, number], small: Float32Array, [, h0, w0]: [number, number, number]): void {
  let dx = Math.floor((W - w0) / 2), dy = Math.floor((H - h0) / 2);
  const w = dx >= 0 ? w0 : w0 + 2 * dx, h = dy >= 0 ? h0 : h0 + 2 * dy;
  const tx = Math.max(dx, 0), ty = Math.max(dy, 0);
  dx = Math.max(-dx, 0); dy = Math.max(-dy, 0);
  for (let c = 0; c < C; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
    big[(c * H + ty + y) * W + tx + x] = small[(c * h0 + dy + y) * w0 + dx + x]!;
}

export function createImageNoise(o: ImageNoiseOptions): { first(): Float32Array; next(): Float32Array } {
  const shape = o.shape;
  const per = shape[0] * shape[1] * shape[2];
  const resized = (o.seedResizeFromH ?? 0) > 0 && (o.seedResizeFromW ?? 0) > 0;
  const noiseShape: [number, number, number] = resized
    ? [shape[0], Math.floor(o.seedResizeFromH! / 8), Math.floor(o.seedResizeFromW! / 8)] : shape;
  const strength = o.subseedStrength ?? 0;
  let gens: Rng[] = o.seeds.map((s) => createRng(o.source, s));
  let isFirst = true;

  const first = (): Float32Array => {
    const out = new Float32Array(per * o.seeds.length);
    o.seeds.forEach((seed, i) => {
      let noise = resized ? createRng(o.source, seed).randn(noiseShape) : gens[i]!.randn(shape);
      if (o.subseeds && strength !== 0) {
        const sub = createRng(o.source, o.subseeds[i] ?? 0n).randn(noiseShape);
        noise = slerp(strength, noise, sub, noiseShape);
      }
      if (resized) {
        const x = gens[i]!.randn(shape);
        pasteCentred(x, shape, noise, noiseShape);
        noise = x;
      }
      out.set(noise, i * per);
    });
    if (o.ensd) gens = o.seeds.map((s) => createRng(o.source, BigInt(s) + BigInt(o.ensd!)));
    return out;
  };

  return {
    first() { isFirst = false; return first(); },
    next() {
      if (isFirst) { isFirst = false; return first(); }
      const out = new Float32Array(per * gens.length);
      gens.forEach((g, i) => out.set(g.randn(shape), i * per));
      return out;
    },
  };
}
