/**
 * Prompt editing and alternation over time: A1111's `get_learned_conditioning_prompt_schedules`
 * (modules/prompt_parser.py).
 * A schedule is a list of [end step, text]; the sampler uses the first entry whose end ≥ its call counter.
 */
import { parseScheduleSyntax, walkSyntax, type SyntaxNode } from './syntax';

/** `[end_at_step, text]`, as A1111 returns it. */
export type ScheduleEntry = [end: number, text: string];

export interface ScheduleOptions {
  /** Steps of the hires second pass: `when` then counts from the end of the first pass (`[a:b:1.5]`). */
  hiresSteps?: number | null;
  /** `opts.use_old_scheduling`: `when` < 1 is a fraction, else a step; no hires offset. */
  useOldScheduling?: boolean;
}

export interface ScheduleOffsets {
  steps: number;
  intOffset: number;
  fltOffset: number;
  old: boolean;
}

export function offsetsFor(baseSteps: number, opts: ScheduleOptions): ScheduleOffsets {
  const hires = opts.hiresSteps ?? null;
  if (hires === null || opts.useOldScheduling) return { steps: baseSteps, intOffset: 0, fltOffset: 0, old: !!opts.useOldScheduling };
  return { steps: hires, intOffset: baseSteps, fltOffset: 1.0, old: false };
}

/**
 * The step a `when` token resolves to: fraction if its text has a ".", else an absolute step; truncated
 * toward zero (Python int()) and clamped to `steps`. May be < 1 (then it is not a boundary).
 */
export function resolveWhen(raw: string, o: ScheduleOffsets): number {
  let v = Number(raw);
  if (o.old) v = v < 1 ? v * o.steps : v;
  else if (raw.includes('.')) v = (v - o.fltOffset) * o.steps;
  else v = v - o.intOffset;
  return Math.min(o.steps, Math.trunc(v));
}

/** The text of `nodes` at `step` (A1111's `AtStep` transformer). */
function textAt(nodes: readonly SyntaxNode[] | null, step: number, o: ScheduleOffsets): string {
  if (!nodes) return '';
  let out = '';
  for (const n of nodes) {
    switch (n.kind) {
      case 'text':
      case 'stray':
        out += n.text;
        break;
      case 'emphasis':
        out += n.bracket + textAt(n.body, step, o);
        if (n.second) out += ':' + textAt(n.second, step, o);
        out += n.bracket === '(' ? ')' : ']';
        break;
      case 'scheduled':
        out += step <= resolveWhen(n.when.raw, o) ? textAt(n.from, step, o) : textAt(n.to, step, o);
        break;
      case 'alternate':
        // Python's modulo (never negative: step 0 picks the last option)
        out += textAt(n.options[(((step - 1) % n.options.length) + n.options.length) % n.options.length] ?? null, step, o);
        break;
    }
  }
  return out;
}

function scheduleOne(prompt: string, o: ScheduleOffsets): ScheduleEntry[] {
  const tree = parseScheduleSyntax(prompt);
  if (tree.failure) return [[o.steps, prompt]];
  const ends = new Set<number>([o.steps]);
  walkSyntax(tree.nodes, (n) => {
    if (n.kind === 'scheduled') {
      const w = resolveWhen(n.when.raw, o);
      if (w >= 1) ends.add(w);
    } else if (n.kind === 'alternate') {
      for (let s = 1; s <= o.steps; s++) ends.add(s);
    }
  });
  return [...ends].sort((a, b) => a - b).map((t) => [t, textAt(tree.nodes, t, o)]);
}

/**
 * `get_learned_conditioning_prompt_schedules(prompts, base_steps, hires_steps, use_old_scheduling)`.
 * `steps` is the sampler's total (2·steps for second-order samplers, as A1111's `total_steps`).
 */
export function getLearnedConditioningPromptSchedules(
  prompts: readonly string[],
  steps: number,
  hiresSteps?: number | null,
  useOldScheduling = false,
): ScheduleEntry[][] {
  const o = offsetsFor(steps, { hiresSteps: hiresSteps ?? null, useOldScheduling });
  const memo = new Map<string, ScheduleEntry[]>();
  return prompts.map((p) => {
    let s = memo.get(p);
    if (!s) memo.set(p, (s = scheduleOne(p, o)));
    return s;
  });
}

/**
 * The schedule entry A1111 uses at denoiser call `k` (0-based, counted from the first step that actually runs:
 * in img2img that is step 0 of the t_enc+1 steps, not of the full schedule; docs/a1111-behaviour.md:
 * img2img: steps run and the starting latent).
 */
export function scheduleAt<T extends { 0: number }>(schedule: readonly T[], k: number): T {
  for (const e of schedule) if (k <= e[0]) return e;
  return schedule[schedule.length - 1]!;
}

/**
 * Which text each sampler step of an img2img run conditions on: A1111 builds the schedule for the full
 * `steps` but its counter starts at 0 on the first step that runs (`stepsRun` = t_enc + 1), so a switch
 * lands later in the noise schedule than in txt2img and late entries may never be reached.
 */
export function img2imgTextsPerStep(schedule: readonly ScheduleEntry[], stepsRun: number): string[] {
  const out: string[] = [];
  for (let k = 0; k < stepsRun; k++) out.push(scheduleAt(schedule, k)[1]);
  return out;
}
