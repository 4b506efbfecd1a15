import { resolve } from 'node:path';

/** The read-only `shared/` folder beside the project (tests run from the repo root). */
export const sharedDir = process.env.SD_STUDIO_SHARED ?? resolve(process.cwd(), '../shared');

export function sharedPath(...parts: string[]): string {
  return resolve(sharedDir, ...parts);
}
