// Which conditioning the UNet gets at denoiser call k (A1111 `reconstruct_cond_batch`,
// `reconstruct_multicond_batch`, `stack_conds`, `CFGDenoiser.pad_cond_uncond` in modules/prompt_parser.py and
// modules/sd_samplers_cfg_denoiser.py).
import type { StepConditioning } from '../denoise';
import type { Conditioning } from './textConditioner';

/** One prompt's schedule, encoded: use `cond` while the call counter is ≤ `end`. */
export type EncodedSchedule = readonly { end: number; cond: Conditioning }[];

/** The first entry with k ≤ end; entry 0 when the counter runs past every end (A1111's `target_index = 0`). */
export function condAt(schedule: EncodedSchedule, k: number): { index: number; cond: Conditioning } {
  for (let i = 0; i < schedule.length; i++) if (k <= schedule[i]!.end) return { index: i, cond: schedule[i]!.cond };
  return { index: 0, cond: schedule[0]!.cond };
}

/** `stack_conds`: conds shorter than the longest repeat their last token vector (SDXL's vector part is left as it is). */
export function stackConds(conds: readonly Conditioning[]): Conditioning[] {
  const tokens = Math.max(...conds.map((c) => c.tokens));
  return conds.map((c) => {
    if (c.tokens === tokens) return c;
    const hidden = new Float32Array(tokens * c.dim);
    hidden.set(c.hidden);
    const last = c.hidden.subarray((c.tokens - 1) * c.dim, c.tokens * c.dim);
    for (let t = c.tokens; t < tokens; t++) hidden.set(last, t * c.dim);
    return { ...c, hidden, tokens };
  });
}

/** `torch.cat([cond] + [empty] * repeats, axis=1)` (A1111 `pad_cond`: for SDXL only the crossattn part). */
export function padWithEmpty(c: Conditioning, empty: Conditioning, repeats: number): Conditioning {
  if (repeats <= 0) return c;
  const hidden = new Float32Array((c.tokens + repeats * empty.tokens) * c.dim);
  hidden.set(c.hidden);
  for (let r = 0; r < repeats; r++) hidden.set(empty.hidden, c.hidden.length + r * empty.hidden.length);
  return { ...c, hidden, tokens: c.tokens + repeats * empty.tokens };
}

export interface AndPartSchedule {
  schedule: EncodedSchedule;
  weight: number;
}

/**
 * The per-call lookup over encoded schedules. AND parts of different lengths are stacked (last vector
 * repeated). Cond and uncond of different lengths stay as they are by default (A1111's default: `denoise` runs
 * them in separate UNet calls); with `padCondUncond` (A1111 "Pad prompt/negative prompt", `pad_cond_uncond`)
 * the shorter side is padded with the empty prompt's conditioning.
 */
export class StepConditioner {
  private readonly memo = new Map<string, StepConditioning>();
  /** Some call padded cond or uncond (A1111 then writes "Pad conds: True"). */
  padded = false;

  constructor(
    private readonly parts: readonly AndPartSchedule[],
    private readonly uncond: EncodedSchedule,
    private readonly empty: Conditioning,
    private readonly padCondUncond = false,
  ) {}

  at(k: number): StepConditioning {
    const u = condAt(this.uncond, k);
    const cs = this.parts.map((p) => condAt(p.schedule, k));
    const key = `${u.index}|${cs.map((c) => c.index).join(',')}`;
    let hit = this.memo.get(key);
    if (!hit) {
      let conds = stackConds(cs.map((c) => c.cond));
      let uncond = u.cond;
      const diff = conds[0]!.tokens - uncond.tokens;
      if (diff !== 0 && this.padCondUncond) {
        const repeats = Math.floor(diff / this.empty.tokens); // Python //
        if (repeats > 0) uncond = padWithEmpty(uncond, this.empty, repeats);
        else conds = conds.map((c) => padWithEmpty(c, this.empty, -repeats));
        this.padded = true;
      }
      hit = { conds: conds.map((cond, i) => ({ cond, weight: this.parts[i]!.weight })), uncond };
      this.memo.set(key, hit);
    }
    return hit;
  }

  /**
   * A fresh lookup for one sampling run: A1111's `CFGDenoiser.step` counts model evaluations from 0 (also in
   * img2img, where the run starts late in the schedule). `denoise` calls it exactly once per evaluation; the
   * sampler-step argument is not used because second-order samplers make two evaluations per step.
   */
  forRun(): (step: number) => StepConditioning {
    let calls = 0;
    return () => this.at(calls++);
  }
}
