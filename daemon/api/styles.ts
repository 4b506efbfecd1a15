// A1111's prompt styles (`modules/styles.py: StyleDatabase`), read minimally: `styles.csv` (columns name, prompt,
// negative_prompt) at the install root, and `apply_styles_to_prompt`. Read-only here; the styles feature itself
// (editing, the panel) is built elsewhere and should take this over.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface PromptStyle {
  name: string;
  prompt: string;
  negative_prompt: string;
}

/** `styles.csv` of an A1111 install given as the models root (the install, or its `models/` folder). */
export function stylesFile(modelsRoot: string): string | undefined {
  if (!modelsRoot) return undefined;
  const cands = [join(modelsRoot, 'styles.csv')];
  if (basename(modelsRoot) === 'models') cands.push(join(dirname(modelsRoot), 'styles.csv'));
  return cands.find((f) => existsSync(f));
}

/** RFC 4180 rows as Python's csv module reads them (quoted fields, "" escapes, newlines inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) rows.push([...row, field]);
  return rows.filter((r) => r.some((x) => x !== ''));
}

export function readStyles(file: string | undefined): PromptStyle[] {
  if (!file) return [];
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  if (!header) return [];
  const col = (n: string): number => header.findIndex((h) => h.trim() === n);
  const [ni, pi, qi] = [col('name'), col('prompt'), col('negative_prompt')];
  if (ni < 0) return [];
  return rows.map((r) => ({ name: r[ni] ?? '', prompt: pi >= 0 ? (r[pi] ?? '') : '', negative_prompt: qi >= 0 ? (r[qi] ?? '') : '' })).filter((s) => s.name);
}

/** `styles.apply_styles_to_prompt`: "{prompt}" in the style is replaced, else the style is appended with ", ". */
export function applyStyle(prompt: string, style: string): string {
  if (!style) return prompt;
  if (style.includes('{prompt}')) return style.replace('{prompt}', prompt);
  return [prompt, style].map((s) => s.trim()).filter((s) => s.length > 0).join(', ');
}
