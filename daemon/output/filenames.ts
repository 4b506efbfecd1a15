import { createHash } from 'node:crypto';

/** Values A1111's FilenameGenerator can substitute (reference §10). Missing ones are "skip" patterns. */
export interface FilenameContext {
  seed: number;
  steps: number;
  cfg: number;
  width: number;
  height: number;
  sampler: string;
  scheduler: string;
  modelHash?: string;
  modelName?: string;
  prompt: string;
  negativePrompt: string;
  denoising?: number;
  batchNumber?: number;
  batchSize: number;
  generationNumber?: number;
  date: Date;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const isoDate = (d: Date): string => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** strftime for the codes people use in `[datetime<...>]`. */
function strftime(fmt: string, d: Date): string {
  const map: Record<string, string> = {
    Y: String(d.getFullYear()), m: pad(d.getMonth() + 1), d: pad(d.getDate()), H: pad(d.getHours()),
    M: pad(d.getMinutes()), S: pad(d.getSeconds()), y: pad(d.getFullYear() % 100), '%': '%',
  };
  return fmt.replace(/%(.)/g, (all, c: string) => map[c] ?? all);
}

/** A1111 `sanitize_filename_part`: forbidden characters → "_", 128 chars max, no leading spaces or trailing dots. */
export function sanitizeFilenamePart(text: string): string {
  return text.replace(/[#<>:"/\\|?*\n\r\t]/g, '_').replace(/^ +/, '').slice(0, 128).replace(/[ .]+$/, '');
}

function promptWords(prompt: string, max = 8): string {
  const words = prompt.split(/[\s,()[\]{}:|\\/.;!?'"]+/).filter((w) => w.length > 0);
  return words.slice(0, max).join(' ') || 'empty';
}

const sha = (s: string | Uint8Array, len: number): string => createHash('sha256').update(s).digest('hex').slice(0, len);

/** The value for one pattern name, `undefined` for "skip" (A1111 then also drops the text before it), null if unknown. */
function patternValue(name: string, arg: string | undefined, c: FilenameContext): string | undefined | null {
  switch (name) {
    case 'seed': return String(c.seed);
    case 'steps': return String(c.steps);
    case 'cfg': return String(c.cfg);
    case 'width': return String(c.width);
    case 'height': return String(c.height);
    case 'sampler': return c.sampler;
    case 'scheduler': return c.scheduler;
    case 'sampler_scheduler': return c.scheduler === 'Automatic' ? c.sampler : `${c.sampler} ${c.scheduler}`;
    case 'model_hash': return c.modelHash ?? '';
    case 'model_name': return c.modelName ?? '';
    case 'date': return isoDate(c.date);
    case 'datetime': return strftime(arg ?? '%Y%m%d%H%M%S', c.date);
    case 'prompt': return sanitizeFilenamePart(c.prompt.replace(/ /g, '_'));
    case 'prompt_spaces':
    case 'prompt_no_styles': return sanitizeFilenamePart(c.prompt);
    case 'prompt_words': return sanitizeFilenamePart(promptWords(c.prompt));
    case 'prompt_hash': return sha(c.prompt, Number(arg ?? 8));
    case 'negative_prompt_hash': return sha(c.negativePrompt, Number(arg ?? 8));
    case 'full_prompt_hash': return sha(`${c.prompt} ${c.negativePrompt}`, Number(arg ?? 8));
    case 'denoising': return c.denoising === undefined ? undefined : String(c.denoising);
    case 'batch_number': return c.batchSize <= 1 || c.batchNumber === undefined ? undefined : String(c.batchNumber);
    case 'batch_size': return String(c.batchSize);
    case 'generation_number': return c.generationNumber === undefined || c.batchSize <= 1 ? undefined : String(c.generationNumber);
    case 'none': return '';
    default: return null;
  }
}

/** Substitute `[name<arg>]` patterns as A1111 does; unknown patterns stay literal. */
export function applyFilenamePattern(pattern: string, ctx: FilenameContext): string {
  let out = '';
  let last = 0;
  for (const m of pattern.matchAll(/\[(\w+)(?:<([^>]*)>)*\]/g)) {
    const value = patternValue(m[1]!.toLowerCase(), m[2], ctx);
    const before = pattern.slice(last, m.index);
    if (value === null) out += before + m[0];
    else if (value !== undefined) out += before + sanitizeFilenamePart(value);
    last = m.index! + m[0].length;
  }
  return out + pattern.slice(last);
}

/** A1111 `get_next_sequence_number`: 1 + the largest leading number among the folder's files. */
export function nextSequenceNumber(existing: string[]): number {
  let max = -1;
  for (const name of existing) {
    const m = /^(\d+)/.exec(name);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}
