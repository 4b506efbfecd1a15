// Brownian-tree noise for the SDE samplers (k-diffusion BrownianTreeNoiseSampler over torchsde.BrownianTree,
// one tree per image seeded with the batch seeds, draws through the A1111 RNG source). Structure: W on
// [σ_min, σ_max] with W(σ_max) − W(σ_min) = √(σ_max − σ_min)·randn(seed); a query point is reached by
// bisection (Brownian bridge at each midpoint, one randn per node from a seed derived from the parent's)
// down to tol = 1e-6, as torchsde's halfway tree. noise(σ, σ') = (W(σ') − W(σ))/√|σ' − σ|.
// NOT bit-identical to torchsde: its node seeds come from numpy SeedSequence.spawn and its interval search
// and caching differ; the statistics (exact Brownian increments, consistent across step sizes) are the same.
import { createRng, type RngSource } from './rng';

/** 32-bit mix of (seed, node id) for child seeds (splitmix-like). */
function childSeed(parent: number, right: boolean): number {
  let z = (parent + (right ? 0x9e3779b9 : 0x7f4a7c15)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

class Tree {
  private readonly cache = new Map<number, Float32Array>();
  private readonly w0: Float32Array;
  private readonly w1: Float32Array;
  /** The seed folded to 32 bits for the child seeds (a seed below 2^32 is itself). */
  private readonly seed: number;
  constructor(private readonly source: RngSource, rootSeed: bigint, private readonly n: number,
    private readonly t0: number, private readonly t1: number, private readonly tol = 1e-6) {
    this.seed = Number(BigInt.asUintN(32, rootSeed ^ (rootSeed >> 32n)));
    this.w0 = new Float32Array(n);
    const z = createRng(source, rootSeed).randn([n]);
    const s = Math.sqrt(t1 - t0);
    this.w1 = z.map((v) => v * s);
  }

  /** W(t), t clamped into [t0, t1]. */
  at(t: number): Float32Array {
    if (t <= this.t0) return this.w0;
    if (t >= this.t1) return this.w1;
    let l = this.t0, r = this.t1, wl = this.w0, wr = this.w1, seed = this.seed;
    for (;;) {
      const m = (l + r) / 2;
      const key = m;
      let wm = this.cache.get(key);
      if (!wm) {
        const z = createRng(this.source, childSeed(seed, false) ^ childSeed(seed, true)).randn([this.n]);
        const sd = Math.sqrt(((m - l) * (r - m)) / (r - l));
        wm = new Float32Array(this.n);
        for (let i = 0; i < this.n; i++) wm[i] = 0.5 * (wl[i]! + wr[i]!) + sd * z[i]!;
        if (this.cache.size > 4096) this.cache.clear();
        this.cache.set(key, wm);
      }
      if (Math.abs(t - m) <= this.tol || r - l <= this.tol) {
        if (t === m) return wm;
        // bridge from the nearest node to t (deterministic given t's seed)
        const [a, wa, b, wb] = t < m ? [l, wl, m, wm] : [m, wm, r, wr];
        const z = createRng(this.source, childSeed(seed, t >= m) ^ (Math.round(t * 1e9) >>> 0)).randn([this.n]);
        const sd = Math.sqrt(((t - a) * (b - t)) / (b - a));
        const out = new Float32Array(this.n);
        for (let i = 0; i < this.n; i++) out[i] = wa[i]! + ((t - a) / (b - a)) * (wb[i]! - wa[i]!) + sd * z[i]!;
        return out;
      }
      if (t < m) { r = m; wr = wm; seed = childSeed(seed, false); } else { l = m; wl = wm; seed = childSeed(seed, true); }
    }
  }
}

/** Noise source for DPM++ SDE / 2M SDE / 2M SDE Heun / 3M SDE: batch-concatenated, one tree per seed. */
export function createBrownianNoise(o: { source: RngSource; seeds: readonly (number | bigint)[]; perImage: number; sigmaMin: number; sigmaMax: number }):
  (sigma: number, sigmaNext: number) => Float32Array {
  const trees = o.seeds.map((s) => new Tree(o.source, BigInt(s), o.perImage, o.sigmaMin, o.sigmaMax));
  return (sigma, sigmaNext) => {
    const out = new Float32Array(o.perImage * trees.length);
    const scale = 1 / Math.sqrt(Math.abs(sigmaNext - sigma));
    trees.forEach((tr, k) => {
      const a = tr.at(sigma), b = tr.at(sigmaNext);
      for (let i = 0; i < o.perImage; i++) out[k * o.perImage + i] = (b[i]! - a[i]!) * scale;
    });
    return out;
  };
}
