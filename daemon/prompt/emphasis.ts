/**
 * A1111's default emphasis, "Original" (`modules/sd_emphasis.py: EmphasisOriginal`): scale each token's hidden
 * state by its multiplier, then rescale the whole tensor so its mean is what it was.
 */

/**
 * In place on `hidden` ([tokens × dim], row-major; several chunks of a batch may be stacked, the mean is then
 * over all of them, as A1111 takes it over the batch). Means are summed in float64.
 */
export function applyEmphasisOriginal(hidden: Float32Array, weights: Float32Array, dim: number): void {
  const tokens = weights.length;
  if (hidden.length !== tokens * dim) {
    throw new Error(`applyEmphasisOriginal: hidden has ${hidden.length} values, expected ${tokens} tokens × ${dim}`);
  }
  let before = 0;
  for (let i = 0; i < hidden.length; i++) before += hidden[i]!;
  let after = 0;
  for (let t = 0; t < tokens; t++) {
    const w = weights[t]!;
    const row = t * dim;
    for (let d = 0; d < dim; d++) {
      const v = Math.fround(hidden[row + d]! * w);
      hidden[row + d] = v;
      after += v;
    }
  }
  // mean_before / mean_after: the element counts cancel. A zero mean after (all weights 0) would divide by zero in
  // torch too (inf/nan); keep the tensor finite instead.
  if (after === 0) return;
  const scale = Math.fround(before / hidden.length / (after / hidden.length));
  for (let i = 0; i < hidden.length; i++) hidden[i] = hidden[i]! * scale;
}

/** "No norm": the multiplication without rescaling. */
export function applyEmphasisNoNorm(hidden: Float32Array, weights: Float32Array, dim: number): void {
  for (let t = 0; t < weights.length; t++) {
    const w = weights[t]!;
    for (let d = 0; d < dim; d++) hidden[t * dim + d] = hidden[t * dim + d]! * w;
  }
}
