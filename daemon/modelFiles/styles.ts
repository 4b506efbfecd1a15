// A1111's styles.csv (columns name, prompt, negative_prompt; UTF-8 with BOM; Python's csv dialect) beside the
// A1111 install the models root belongs to, or the `stylesFile` setting. Writing keeps a `.bak` copy as A1111 does
// and replaces the file atomically.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomicSync } from '../../models/formats/atomicFile';
import { invalidParam } from '../errors';
import { pyCsvRow, pyCsvRows } from '../infotext/python';
import { applyStylesToPrompt, type PromptStyle } from '../prompt/styles';

/** Where styles.csv is: the setting, else the install's (`<root>/styles.csv`, or beside a `models/` root). */
export function stylesFilePath(setting: string, modelsRoot: string): string | null {
  if (setting) return resolve(setting);
  if (!modelsRoot) return null;
  const root = resolve(modelsRoot);
  const candidates = basename(root).toLowerCase() === 'models' ? [join(dirname(root), 'styles.csv'), join(root, 'styles.csv')] : [join(root, 'styles.csv')];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

/** Every style of the file in order (old "name, text" files too); rows whose name starts with "#" are skipped. */
export function readStyles(file: string): PromptStyle[] {
  if (!existsSync(file)) return [];
  const rows = pyCsvRows(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''), true);
  const header = rows.shift() ?? [];
  const col = (name: string): number => header.indexOf(name);
  const [n, p, t, neg] = [col('name'), col('prompt'), col('text'), col('negative_prompt')];
  if (n < 0) throw invalidParam('stylesFile', `${file} has no "name" column (A1111 styles.csv: name,prompt,negative_prompt)`);
  return rows.filter((r) => r[n] !== undefined && !r[n]!.startsWith('#')).map((r) => ({
    name: r[n]!, prompt: r[p >= 0 ? p : t] ?? '', negativePrompt: neg >= 0 ? r[neg] ?? '' : '',
  }));
}

/** A1111's `save_styles`: header and every style, CRLF rows, BOM; the old file kept as `<file>.bak`. */
export function writeStyles(file: string, styles: readonly PromptStyle[]): void {
  const lines = ['name,prompt,negative_prompt', ...styles.map((s) => pyCsvRow([s.name, s.prompt, s.negativePrompt]))];
  if (existsSync(file)) copyFileSync(file, `${file}.bak`);
  writeFileAtomicSync(file, Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8'));
}

/** The prompts with the named styles applied; an unknown name is an error naming the file it was looked for in. */
export function applyNamedStyles(names: readonly string[], styles: readonly PromptStyle[], file: string | null, prompt: string, negativePrompt: string): { prompt: string; negativePrompt: string } {
  const chosen = names.filter((n) => n !== 'None').map((n) => {
    const s = styles.find((x) => x.name === n);
    if (!s) throw invalidParam('styles', `style "${n}" not found in ${file ?? 'styles.csv (no models root or stylesFile set)'}${styles.length ? `; known: ${styles.map((x) => x.name).join(', ')}` : ''}`);
    return s;
  });
  return {
    prompt: applyStylesToPrompt(prompt, chosen.map((s) => s.prompt)),
    negativePrompt: applyStylesToPrompt(negativePrompt, chosen.map((s) => s.negativePrompt)),
  };
}

/** A job's prompts with its styles applied (the hires prompts too, when they have their own). */
export function applyJobStyles<T extends { styles: string[]; prompt: string; negativePrompt: string; hires?: { prompt: string; negativePrompt: string } }>(p: T, setting: string, modelsRoot: string): T {
  if (p.styles.length === 0) return p;
  const file = stylesFilePath(setting, modelsRoot);
  const styles = file ? readStyles(file) : [];
  const main = applyNamedStyles(p.styles, styles, file, p.prompt, p.negativePrompt);
  const out = { ...p, prompt: main.prompt, negativePrompt: main.negativePrompt };
  if (p.hires) {
    const hr = applyNamedStyles(p.styles, styles, file, p.hires.prompt, p.hires.negativePrompt);
    out.hires = { ...p.hires, prompt: p.hires.prompt && hr.prompt, negativePrompt: p.hires.negativePrompt && hr.negativePrompt };
  }
  return out;
}
