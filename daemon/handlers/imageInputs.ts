// The input images of extras and interrogate as A1111's endpoints take them: `images` (paths or base64) and the
// files of `input_dir` (non-recursive, sorted).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { invalidParam, notFound } from '../errors';

export interface ImageInput { ref: string; label: string; file?: string }

/** `keep` picks which of the folder's file names are inputs (A1111's extras takes every file). */
export function imageInputs(images: unknown, inputDir: string | undefined, keep: (name: string) => boolean = () => true): ImageInput[] {
  if (images !== undefined && (!Array.isArray(images) || !images.every((i) => typeof i === 'string'))) throw invalidParam('images', 'expected a list of image paths or base64 images');
  const inputs: ImageInput[] = [];
  ((images as string[] | undefined) ?? []).forEach((ref, i) => {
    const inline = ref.startsWith('data:') || (ref.length > 256 && !ref.includes('/'));
    inputs.push(inline ? { ref, label: `images[${i}]` } : { ref, label: resolve(ref), file: resolve(ref) });
  });
  if (inputDir !== undefined) {
    const dir = resolve(inputDir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw notFound(dir, 'input_dir: folder');
    for (const name of readdirSync(dir).sort()) {
      const f = join(dir, name);
      if (keep(name) && statSync(f).isFile()) inputs.push({ ref: f, label: f, file: f });
    }
  }
  return inputs;
}
