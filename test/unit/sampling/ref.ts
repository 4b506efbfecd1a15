// Loads the shared reference vectors (../shared/sampler-ref) and flattens nested lists.
import { readFileSync } from 'node:fs';
import { sharedPath } from '../../sharedPath';

export function loadRef(name: 'samplers.json' | 'schedules.json' | 'rng.json'): any {
  return JSON.parse(readFileSync(sharedPath('sampler-ref', name), 'utf8'));
}

export function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

/** Largest |a−b| − (atol + rtol·|b|) must be ≤ 0. Returns a message or undefined. */
export function closeTo(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} ≠ ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= atol + rtol * Math.abs(expected[i]!))) return `index ${i}: ${actual[i]} vs ${expected[i]} (diff ${diff})`;
  }
  return undefined;
}
