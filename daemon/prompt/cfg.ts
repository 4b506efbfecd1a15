/**
 * Classifier-free guidance over several weighted conds (AND): A1111's `CFGDenoiser.combine_denoised`
 * (modules/sd_samplers_cfg_denoiser.py), AND weights from `prompt_parser.get_multicond_prompt_list`:
 * `out = uncond + Σ weight_i·cfg·(cond_i − uncond)`.
 */

export interface WeightedDenoised {
  x: Float32Array;
  weight: number;
}

/**
 * Writes into `out` (may be `uncond` itself). Rounds to float32 after each operation in torch's order
 * (difference, scale, accumulate), so results match a float32 torch run to the bit on CPU.
 */
export function combineDenoised(uncond: Float32Array, conds: readonly WeightedDenoised[], cfgScale: number, out: Float32Array): Float32Array {
  const n = uncond.length;
  if (out.length !== n) throw new Error(`combineDenoised: out has ${out.length} values, uncond ${n}`);
  for (const c of conds) {
    if (c.x.length !== n) throw new Error(`combineDenoised: a cond has ${c.x.length} values, uncond ${n}`);
  }
  // Reading uncond before writing out[i] keeps out === uncond safe.
  const scales = conds.map((c) => Math.fround(c.weight * cfgScale));
  for (let i = 0; i < n; i++) {
    const u = uncond[i]!;
    let acc = u;
    for (let k = 0; k < conds.length; k++) {
      acc = Math.fround(acc + Math.fround(Math.fround(conds[k]!.x[i]! - u) * scales[k]!));
    }
    out[i] = acc;
  }
  return out;
}
