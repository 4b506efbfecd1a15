// torch.optim.Adam's update (the single-tensor path torch takes on CPU; betas (0.9, 0.999), eps 1e-8, no weight
// decay) over named Float32Array parameters, in place. A parameter may be a subset of rows of a bigger table
// (the token embedding: only the rows a prompt uses ever get a gradient, the others keep zero moments and never move).
export class Adam {
  private t = 0;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();

  constructor(
    private readonly lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {}

  /** One step: every parameter with a gradient (same length) is updated. */
  step(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const bc1 = 1 - b1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - b2 ** this.t);
    const stepSize = this.lr / bc1;
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p || p.length !== g.length) throw new Error(`Adam: gradient "${name}" has ${g.length} values, the parameter ${p?.length ?? 'none'}`);
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m || !v) {
        m = new Float32Array(g.length);
        v = new Float32Array(g.length);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      for (let i = 0; i < g.length; i++) {
        const gi = g[i]!;
        const mi = (m[i] = b1 * m[i]! + (1 - b1) * gi);
        const vi = (v[i] = b2 * v[i]! + (1 - b2) * gi * gi);
        p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
      }
    }
  }
}
