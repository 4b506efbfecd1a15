// Token merging for Stable Diffusion (tomesd `merge.bipartite_soft_matching_random2d` and `patch.compute_merge`)
// as graph ops, with A1111's settings (modules/sd_models.py: apply_token_merging): no randomness (the destination
// of each 2×2 cell is its top-left token), sx = sy = 2, self-attention only, blocks at full latent resolution.
//
// tomesd lays the merged sequence out as [unmerged sources | destinations] and scatters back. Here the kept tokens
// stay in their original order and every token maps to a slot of the merged sequence (`pos`): merging is a
// scatter-mean into those slots and unmerging one gather. Attention does not care about token order, so the
// result is tomesd's; and with r = 0 the slots are the identity, merging adds each token to a zero and divides by
// one, so a ratio of 0 gives exactly the unmerged block.
import { attr, ElemType, type GraphBuilder } from '../graph';

export interface TokenMatch {
  /** [B, N, C] → [B, N − r, C]: sources merged into their most similar destination (mean). */
  merge(x: string): string;
  /** [B, N − r, C] → [B, N, C]: each token takes its slot's value. */
  unmerge(y: string): string;
}

/** Graph input with the ratio, float64 so that r = int(N · ratio) is computed exactly as Python does. */
export const TOKEN_MERGING_INPUT = 'token_merging_ratio';

/**
 * Matching for one transformer block. `metric`: the block's input tokens [B, N, C] (tomesd measures similarity on
 * them, before norm1); `spatial`: the [B, C, H, W] tensor they came from (N = H·W); `ratio`: the float64 [1] input.
 */
export function matchTokens(g: GraphBuilder, metric: string, spatial: string, ratio: string): TokenMatch {
  const i64 = (v: number) => g.int64Const(v, []);
  const shape = g.shape(spatial);
  const hDim = g.gather(shape, i64(2));
  const wDim = g.gather(shape, i64(3));
  const two = i64(2);
  // Destinations: even row and column inside the part of the grid the 2×2 cells cover (h // 2 · 2 rows).
  const axisDst = (len: string): string => {
    const idx = g.op('Range', [i64(0), len, i64(1)]);
    const even = g.equal(g.op('Mod', [idx, two]), i64(0));
    const covered = g.op('Less', [idx, g.mul(g.div(len, two), two)]);
    return g.op('And', [even, covered]);
  };
  const isDst = g.reshape(g.op('And', [g.unsqueeze(axisDst(hDim), [1]), g.unsqueeze(axisDst(wDim), [0])]), [-1]); // [N]
  const dstIdx = g.reshape(g.op('NonZero', [isDst]), [-1]); // [Nb], row-major
  const n = g.mul(hDim, wDim);
  const nDst = g.mul(g.div(hDim, two), g.div(wDim, two));

  // Cosine similarity of every token to every destination; each source's best destination and score.
  const normed = g.div(metric, g.sqrt(g.op('ReduceSumSquare', [metric], { axes: [-1], keepdims: 1 })));
  const scores = g.matMul(normed, g.transpose(g.gather(normed, dstIdx, 1), [0, 2, 1])); // [B, N, Nb]
  const best = g.op('ReduceMax', [scores], { axes: [-1], keepdims: 0 }); // [B, N]
  const bestDst = g.argMax(scores, -1, false); // [B, N] index into the destinations
  const score = g.where(isDst, g.f32Const([-Infinity], []), g.floatType === ElemType.FLOAT ? best : g.cast(best, ElemType.FLOAT));

  // r = min(int(N · ratio), sources); the r best-matched sources merge (edge_idx = argsort(node_max, desc)).
  const nF = g.cast(n, ElemType.DOUBLE);
  const wanted = g.cast(g.op('Floor', [g.mul(nF, g.reshape(ratio, []))]), ElemType.INT64);
  const r = g.op('Min', [wanted, g.sub(n, nDst)]);
  const order = g.node('TopK', [score, g.reshape(n, [1])], 2, { axis: -1, largest: 1, sorted: 1 })[1]!; // [B, N]
  const iota = g.expand(g.unsqueeze(g.op('Range', [i64(0), n, i64(1)]), [0]), g.shape(order));
  const rank = g.op('ScatterElements', [g.mul(iota, i64(0)), order, iota], { axis: 1 }); // rank of each token
  const keep = g.op('Not', [g.op('Less', [rank, r])]);

  // Slot of each token: kept ones in their original order, merged sources in their destination's slot.
  const keptSlot = g.sub(g.op('CumSum', [g.cast(keep, ElemType.INT64), i64(1)]), i64(1));
  const dstSlot = g.gather(keptSlot, dstIdx, 1); // [B, Nb]
  const pos = g.where(keep, keptSlot, g.op('GatherElements', [dstSlot, bestDst], { axis: 1 }));
  const posIdx = g.unsqueeze(pos, [2]); // [B, N, 1]
  const merged = g.sub(n, r);

  return {
    merge(x: string): string {
      const xs = g.shape(x);
      const batch = g.slice(xs, [0], [1]);
      const channels = g.slice(xs, [2], [3]);
      const filled = (dims: string, v: number) => g.cast(g.op('ConstantOfShape', [dims], { value: attr.tensor({ data: Float32Array.of(v), dims: [1] }) }), g.floatType);
      const scatterAdd = (into: string, updates: string) => g.op('ScatterElements', [into, g.expand(posIdx, g.shape(updates)), updates], { axis: 1, reduction: 'add' });
      const slots = (c: string) => g.concat([batch, g.reshape(merged, [1]), c], 0);
      const sums = scatterAdd(filled(slots(channels), 0), x);
      const counts = scatterAdd(filled(slots(g.int64Const([1])), 0), filled(g.shape(posIdx), 1));
      return g.div(sums, counts);
    },
    unmerge(y: string): string {
      return g.op('GatherND', [y, posIdx], { batch_dims: 1 });
    },
  };
}
