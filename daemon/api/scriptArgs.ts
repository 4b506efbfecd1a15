// A script's positional `script_args` as A1111's API hands them to `Script.run` (no gradio in between, so values
// arrive as the client sent them), and the `ScriptArg` rows /script-info describes each control with
// (`modules/api/models.py: ScriptArg`; `modules/scripts.py` fills them from the controls' value, minimum, maximum,
// step and choices).
import type { GenerationResult } from '../protocol';
import { HttpError } from './errors';

export type Tab = 'txt2img' | 'img2img';

export interface ScriptArg {
  label: string;
  value: unknown;
  minimum?: number;
  maximum?: number;
  step?: number;
  choices?: string[];
}

/** What a script run gives the response: its result (grids separate) and whether its single images are returned. */
export interface ScriptRun {
  result: GenerationResult;
  singles: boolean;
}

export const checkbox = (label: string, value = false): ScriptArg => ({ label, value });
export const slider = (label: string, value: number, minimum: number, maximum: number, step: number): ScriptArg => ({ label, value, minimum, maximum, step });
export const radio = (label: string, value: unknown, choices: string[]): ScriptArg => ({ label, value, choices });

/** A `ScriptArg` as pydantic serialises it: every field, null when unset. */
export const scriptArgJson = (a: ScriptArg): Record<string, unknown> => ({
  label: a.label, value: a.value ?? null, minimum: a.minimum ?? null, maximum: a.maximum ?? null, step: a.step ?? null, choices: a.choices ?? null,
});

/** Python's truthiness, which is what `if draw_legend:` tests of whatever JSON value arrived. */
export function pyTruthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

/** A flag: the UI's default when the list stops before it (`init_script_args` keeps the defaults there). */
export const argBool = (args: readonly unknown[], i: number, def: boolean): boolean => (i < args.length ? pyTruthy(args[i]) : def);

export function argNumber(args: readonly unknown[], i: number, def: number, label: string): number {
  if (i >= args.length || args[i] === null) return def;
  const v = args[i];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new HttpError(422, `script_args[${i}] (${label}): expected a number, got ${JSON.stringify(v)}`);
  return n;
}

export function argString(args: readonly unknown[], i: number, def: string, label: string): string {
  if (i >= args.length || args[i] === null) return def;
  const v = args[i];
  if (typeof v !== 'string') throw new HttpError(422, `script_args[${i}] (${label}): expected a string, got ${JSON.stringify(v)}`);
  return v;
}

/** A radio with `type="index"`: its index, or (as the UI's own value) one of its labels. */
export function argIndex(args: readonly unknown[], i: number, def: number, label: string, choices: readonly string[]): number {
  if (i >= args.length || args[i] === null) return def;
  const v = args[i];
  const at = typeof v === 'number' ? v : typeof v === 'string' ? choices.indexOf(v) : -1;
  if (!Number.isInteger(at) || at < 0 || at >= choices.length) throw new HttpError(422, `script_args[${i}] (${label}): expected 0..${choices.length - 1} or one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
  return at;
}

/** A checkbox group's list of chosen labels. */
export function argChoices(args: readonly unknown[], i: number, def: readonly string[], label: string, choices: readonly string[]): string[] {
  if (i >= args.length || args[i] === null) return [...def];
  const v = args[i];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !choices.includes(x))) {
    throw new HttpError(422, `script_args[${i}] (${label}): expected a list of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as string[];
}
