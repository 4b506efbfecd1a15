// Seeds as torch takes them: 0 … 2^64 − 1 (ComfyUI and Fooocus images carry such seeds). JSON numbers are exact
// only up to 2^53, so on the wire a seed is a number when it is a safe integer and a decimal string otherwise
// (protocol `SeedJson`); both forms are accepted everywhere. Inside the daemon a seed is a bigint.
import type { SeedJson } from './protocol';

export const MAX_SEED = 2n ** 64n - 1n;

/** The seed a JSON value names: an integer (number or decimal string), or undefined when it is not one. */
export function parseSeed(v: unknown): bigint | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : undefined;
  if (typeof v === 'string' && /^\s*-?\d{1,20}\s*$/.test(v)) return BigInt(v.trim());
  if (typeof v === 'bigint') return v;
  return undefined;
}

/** A seed for JSON: a number while exact, else its decimal string. */
export function seedJson(seed: bigint): SeedJson {
  return seed >= BigInt(Number.MIN_SAFE_INTEGER) && seed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seed) : seed.toString();
}

/** A1111 `get_fixed_seed`: -1 becomes a random seed in 0 … 4294967293; any other seed stays. */
export function fixedSeed(seed: bigint, random: () => number = Math.random): bigint {
  return seed === -1n ? BigInt(Math.floor(random() * 4294967294)) : seed;
}

/**
 * Seeds of images first … first + count − 1 of a job (A1111 `process_images_inner`): seed + k, or the seed itself
 * for every image when a variation strength is set; variation seeds subseed + k.
 */
export function imageSeeds(p: { seed: bigint; subseed: bigint; subseedStrength: number }, first: number, count: number): { seeds: bigint[]; subseeds: bigint[] } {
  const k = (i: number): bigint => BigInt(first + i);
  return {
    seeds: Array.from({ length: count }, (_, i) => (p.subseedStrength === 0 ? p.seed + k(i) : p.seed)),
    subseeds: Array.from({ length: count }, (_, i) => p.subseed + k(i)),
  };
}
