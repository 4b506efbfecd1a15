// The tiny UNet's σ-aware denoiser: an analytic MMSE estimate D(x, σ) over a band-pass pyramid of the latent.
import type { GraphBuilder } from '../graph';

/** Blur widths (latent pixels) that split the latent into bands: x−G₁x, G₁x−G₂x, G₂x−G₄x, and the coarse G₄x. */
const SCALES = [1, 2, 4];

/** Normalised 1-D Gaussian of std `s`, radius ⌈3s⌉. */
function gaussian(s: number): Float64Array {
  const r = Math.ceil(3 * s);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * s * s));
  return k.map((v) => v / sum);
}

/** 2-D separable kernel as a (2r+1)² array centred in `size`×`size`. */
function outer(k: Float64Array, size: number): Float64Array {
  const out = new Float64Array(size * size);
  const off = (size - k.length) / 2;
  for (let i = 0; i < k.length; i++) for (let j = 0; j < k.length; j++) out[(i + off) * size + j + off] = k[i]! * k[j]!;
  return out;
}

/**
 * Variance per unit σ² of white noise in each level (the squared L2 norm of the level's kernel), fine → coarse:
 * the bands, then the coarse residual.
 */
function levelNoise(): number[] {
  const kernels = SCALES.map(gaussian);
  const size = kernels[kernels.length - 1]!.length;
  const delta = new Float64Array(size * size);
  delta[(size * size - 1) / 2] = 1;
  const blurs = [delta, ...kernels.map((k) => outer(k, size))];
  const energy = (a: Float64Array): number => a.reduce((s, v) => s + v * v, 0);
  const bands = SCALES.map((_, i) => energy(blurs[i]!.map((v, j) => v - blurs[i + 1]![j]!)));
  return [...bands, energy(blurs[blurs.length - 1]!)];
}

/** Depthwise separable Gaussian blur of std `s` over `channels`, edge-padded (zero padding would darken the rim). */
function blur(g: GraphBuilder, x: string, channels: number, s: number): string {
  const k = Float32Array.from(gaussian(s));
  const r = (k.length - 1) / 2;
  const taps = new Float32Array(channels * k.length);
  for (let c = 0; c < channels; c++) taps.set(k, c * k.length);
  const wide = g.conv(g.pad(x, [0, 0, 0, r, 0, 0, 0, r], 'edge'), g.floatConst(taps, [channels, 1, 1, k.length]), undefined, { kernelShape: [1, k.length], group: channels });
  return g.conv(g.pad(wide, [0, 0, r, 0, 0, 0, r, 0], 'edge'), g.floatConst(taps, [channels, 1, k.length, 1]), undefined, { kernelShape: [k.length, 1], group: channels });
}

export interface DenoiserPrior {
  /** Orthonormal rows: the latent directions the prior is stated in (e.g. luma, two chroma, unused). */
  axes: number[][];
  /** Signal variance per axis and level (fine band … coarse residual), in scaled-latent units². */
  variance: number[][];
}

/**
 * D(x, σ) for latents x [b,C,h,w] and σ [b,1,1,1]: the MMSE estimate under a Gaussian prior that is stationary
 * per level of a band-pass pyramid. In the prior's axes each level is scaled by its Wiener gain P/(P + σ²·n),
 * n the level's share of white noise: at small σ D is nearly the identity, as σ grows fine detail goes first and
 * at large σ only the coarse level of each axis survives — so sampling from a higher σ drifts further from the
 * source, as with a real diffusion model, and ancestral samplers re-grow detail with the prior's statistics.
 */
export function denoise(g: GraphBuilder, x: string, sigma: string, prior: DenoiserPrior): string {
  const C = prior.axes.length;
  const noise = levelNoise();
  const rotation = prior.axes.flat();
  const inverse = Array.from({ length: C * C }, (_, i) => prior.axes[i % C]![Math.floor(i / C)]!);
  const rotated = g.conv(x, g.floatConst(rotation, [C, C, 1, 1]));
  const blurs = [rotated, ...SCALES.map((s) => blur(g, rotated, C, s))];
  const levels = [...SCALES.map((_, i) => g.sub(blurs[i]!, blurs[i + 1]!)), blurs[blurs.length - 1]!];
  const sigma2 = g.mul(sigma, sigma);
  let out: string | undefined;
  levels.forEach((level, i) => {
    const p = g.floatConst(prior.variance.map((v) => v[i]!), [1, C, 1, 1]);
    const gain = g.div(p, g.add(p, g.mul(sigma2, g.floatConst(noise[i]!))));
    const kept = g.mul(level, gain);
    out = out === undefined ? kept : g.add(out, kept);
  });
  return g.conv(out!, g.floatConst(inverse, [C, C, 1, 1]));
}
