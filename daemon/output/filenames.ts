import { createHash, randomUUID } from 'node:crypto';

/** Values A1111's `modules/images.py: FilenameGenerator` can substitute. Missing ones are "skip" patterns. */
export interface FilenameContext {
  seed: bigint;
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
  /** Seeds of the whole job (`[seed_first]` / `[seed_last]`). */
  allSeeds?: bigint[];
  /** Style names applied (`[styles]`); none gives "None". */
  styles?: string[];
  /** The prompt before styles were applied (`[prompt_no_styles]`). */
  promptNoStyles?: string;
  clipSkip?: number;
  /** The VAE file loaded separately (`[vae_filename]`: its name before the first dot). */
  vaeFile?: string;
  /** Raw RGB bytes of the image being saved (`[image_hash]`). */
  pixels?: Uint8Array;
  /** The job's start (`[job_timestamp]`). */
  jobTimestamp?: Date;
  /** The save's basename ("grid", "xyz_grid"): `[basename]`. */
  basename?: string;
  /** Batch count (`[generation_number]` is skipped for one image of one batch). */
  nIter?: number;
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

/** Characters no file name may hold (A1111's list: Windows' reserved characters, path separators, line breaks). */
export const replaceForbidden = (text: string): string => text.replace(/[#<>:"/\\|?*\n\r\t]/g, '_');

/** A1111 `sanitize_filename_part`: forbidden characters → "_", 128 chars max, no leading spaces or trailing dots. */
export function sanitizeFilenamePart(text: string): string {
  return replaceForbidden(text).replace(/^ +/, '').slice(0, 128).replace(/[ .]+$/, '');
}

/** `re_nonletters`: whitespace and Python's `string.punctuation`. */
const NON_LETTERS = /[\s!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+/;

function promptWords(prompt: string, max = 8): string {
  const words = prompt.split(NON_LETTERS).filter((w) => w.length > 0);
  return words.slice(0, max).join(' ') || 'empty';
}

/** Python's str.capitalize (A1111 `get_scheduler_str`). */
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();

/** `[hasprompt<word|default>…]`: each word found in the prompt, else its default. */
function hasPrompt(prompt: string, args: string[]): string {
  const lower = prompt.toLowerCase();
  let out = '';
  for (const arg of args) {
    if (arg === '') continue;
    const [word = '', fallback = ''] = arg.split('|');
    if (lower.includes(word.toLowerCase())) out += word.toLowerCase();
    else out += fallback;
  }
  return sanitizeFilenamePart(out.replace(/ /g, '_'));
}

const sha = (s: string | Uint8Array, len: number): string => createHash('sha256').update(s).digest('hex').slice(0, len);

/** The value for one pattern name, `undefined` for "skip" (A1111 then also drops the text before it), null if unknown. */
function patternValue(name: string, args: string[], c: FilenameContext): string | undefined | null {
  const arg = args[0] !== undefined && args[0] !== '' ? args[0] : undefined;
  const seeds = c.allSeeds ?? [c.seed];
  switch (name) {
    case 'basename': return c.basename || 'img';
    case 'seed': return String(c.seed);
    case 'seed_first': return String(c.batchSize === 1 ? c.seed : seeds[0]);
    case 'seed_last': return c.batchSize === 1 ? undefined : String(seeds[seeds.length - 1]);
    case 'steps': return String(c.steps);
    case 'cfg': return String(c.cfg);
    case 'width': return String(c.width);
    case 'height': return String(c.height);
    case 'styles': return sanitizeFilenamePart((c.styles ?? []).filter((s) => s !== 'None').join(', ') || 'None');
    case 'sampler': return c.sampler;
    case 'scheduler': return capitalize(c.scheduler);
    case 'sampler_scheduler': return `${c.sampler} ${capitalize(c.scheduler)}`;
    case 'model_hash': return c.modelHash ?? '';
    case 'model_name': return c.modelName ?? '';
    case 'date': return isoDate(c.date);
    case 'datetime': return strftime(arg ?? '%Y%m%d%H%M%S', c.date);
    case 'job_timestamp': return strftime('%Y%m%d%H%M%S', c.jobTimestamp ?? c.date);
    case 'prompt': return sanitizeFilenamePart(c.prompt.replace(/ /g, '_'));
    case 'prompt_spaces': return sanitizeFilenamePart(c.prompt);
    case 'prompt_no_styles': return sanitizeFilenamePart(c.promptNoStyles ?? c.prompt);
    case 'prompt_words': return sanitizeFilenamePart(promptWords(c.prompt));
    case 'prompt_hash': return sha(c.prompt, Number(arg ?? 8));
    case 'negative_prompt_hash': return sha(c.negativePrompt, Number(arg ?? 8));
    case 'full_prompt_hash': return sha(`${c.prompt} ${c.negativePrompt}`, Number(arg ?? 8));
    case 'image_hash': return c.pixels ? sha(c.pixels, arg ? Number(arg) : 64) : null;
    case 'hasprompt': return hasPrompt(c.prompt, args);
    case 'clip_skip': return String(c.clipSkip ?? 1);
    case 'vae_filename': return c.vaeFile ? (c.vaeFile.split(/[/\\]/).pop() ?? '').split('.').filter((x, i) => i > 0 || x !== '')[0] ?? '' : 'NoneType';
    case 'uuid': return randomUUID().replace(/-/g, '');
    case 'denoising': return c.denoising === undefined || c.denoising === 0 ? undefined : String(c.denoising);
    case 'batch_number': return c.batchSize <= 1 || c.batchNumber === undefined ? undefined : String(c.batchNumber + 1);
    case 'batch_size': return String(c.batchSize);
    case 'generation_number': return c.generationNumber === undefined || (c.batchSize <= 1 && (c.nIter ?? 1) <= 1) ? undefined : String(c.generationNumber);
    case 'none': return '';
    default: return null;
  }
}

/**
 * `FilenameGenerator.apply`: `[name<arg>…]` patterns substituted (case-insensitive names, arguments peeled from the
 * end); a skip result drops the text before it; unknown names stay as `[name]`.
 */
export function applyFilenamePattern(pattern: string, ctx: FilenameContext): string {
  let out = '';
  for (const m of pattern.matchAll(/([^]*?)(?:\[([^[\]]+)\]|$)/g)) {
    const text = m[1] ?? '';
    let name = m[2];
    if (name === undefined) {
      out += text;
      if (m.index === pattern.length) break;
      continue;
    }
    const args: string[] = [];
    for (let a = /^([^]*)<([^>]*)>$/.exec(name); a; a = /^([^]*)<([^>]*)>$/.exec(name)) {
      name = a[1]!;
      args.unshift(a[2]!);
    }
    const value = patternValue(name.toLowerCase(), args, ctx);
    if (value === undefined) continue;
    out += value === null ? `${text}[${name}]` : text + sanitizeFilenamePart(value);
  }
  return out;
}

/**
 * A1111 `get_next_sequence_number`: 1 + the largest leading number among the folder's files (after
 * `<basename>-` when a basename such as "grid" is given).
 */
export function nextSequenceNumber(existing: string[], basename = ''): number {
  const prefix = basename ? `${basename}-` : '';
  let max = -1;
  for (const name of existing) {
    if (!name.startsWith(prefix)) continue;
    const stem = name.slice(prefix.length).replace(/(?<=.)\.[^.]*$/, '');
    const first = stem.split('-')[0]!;
    if (/^\d+$/.test(first)) max = Math.max(max, Number(first));
  }
  return max + 1;
}
