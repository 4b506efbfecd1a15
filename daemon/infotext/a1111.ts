// A1111's "parameters" infotext, both directions, byte-exact with stable-diffusion-webui v1.10:
// `modules/processing.py: create_infotext` (writer) and `modules/infotext_utils.py: parse_generation_parameters`
// (reader). Quirks are kept on purpose: an image pasted into A1111 and into SD Studio must give the same settings.

import { promptsUseEmphasis } from '../prompt/attention';
import { findParams } from './paramScan';
import { compareVersions, parsePyVersion, pyJsonDumps, pyJsonLoadsString, pyStr, pyStrip, type PyVersion } from './python';

export type InfotextValue = string | number | boolean | null | undefined;

/** `infotext_utils.quote`: JSON-quote a value only when it holds `,`, `\n` or `:`. */
export function quote(value: string | number | boolean): string {
  const s = pyStr(value);
  if (!s.includes(',') && !s.includes('\n') && !s.includes(':')) return s;
  // json.dumps of a non-string (a number can't reach here) would differ; every such value is a string.
  return pyJsonDumps(s);
}

/**
 * `create_infotext` layout: prompt, "\nNegative prompt: …" when non-empty, "\n" + the one-line parameters,
 * the whole stripped. Entries with null/undefined values are skipped; `k` alone when the value equals the key.
 */
export function buildInfotext(prompt: string, negativePrompt: string, params: Array<[key: string, value: InfotextValue]>): string {
  const line = params
    .filter((e): e is [string, string | number | boolean] => e[1] !== null && e[1] !== undefined)
    .map(([k, v]) => (k === v ? k : `${k}: ${quote(v)}`))
    .join(', ');
  const neg = negativePrompt ? `\nNegative prompt: ${negativePrompt}` : '';
  return pyStrip(`${prompt}${neg}\n${line}`);
}

// `re_imagesize`, with Python's `$` which also matches before one trailing "\n".
const RE_IMAGESIZE = /^(\p{Nd}+)x(\p{Nd}+)\n?$/u;

export { findParams };

export interface ParsedInfotext {
  prompt: string;
  negativePrompt: string;
  /** Every key A1111's dict ends with except Prompt/Negative prompt, in its order; Python values via str(). */
  fields: Record<string, string>;
}

type PyValue = string | number | boolean;

/**
 * `parse_generation_parameters(x)` with A1111's default options: no saved styles (SD Studio has none, so
 * style extraction changes nothing except the Hires-prompt de-duplication below), `infotext_skip_pasting`
 * empty, `auto_backcompat` on, `use_old_hires_fix_width_height` off.
 */
export function parseGenerationParameters(text: string): ParsedInfotext {
  const res = new Map<string, PyValue>();
  let prompt = '';
  let negativePrompt = '';
  let doneWithPrompt = false;

  const lines = pyStrip(text).split('\n');
  let lastline = lines.pop()!;
  if (findParams(lastline).length < 3) {
    lines.push(lastline);
    lastline = '';
  }
  for (let line of lines) {
    line = pyStrip(line);
    if (line.startsWith('Negative prompt:')) {
      doneWithPrompt = true;
      line = pyStrip(line.slice(16));
    }
    if (doneWithPrompt) negativePrompt += (negativePrompt === '' ? '' : '\n') + line;
    else prompt += (prompt === '' ? '' : '\n') + line;
  }

  for (const [k, raw] of findParams(lastline)) {
    // Python's v[0] raises IndexError on an empty value; A1111 catches it and drops the key.
    if (raw === '') continue;
    let v = raw;
    if (v[0] === '"' && v[v.length - 1] === '"') v = pyJsonLoadsString(v) ?? v;
    const m = RE_IMAGESIZE.exec(v);
    if (m) {
      res.set(`${k}-1`, m[1]!); // RE_IMAGESIZE's two mandatory groups
      res.set(`${k}-2`, m[2]!);
    } else res.set(k, v);
  }

  // Style extraction with no styles: only the Hires prompts are blanked when they repeat the main ones.
  if (res.has('Hires prompt') || res.has('Hires negative prompt')) {
    const ver = infotextVersion(res.get('Version'));
    const v180HrStyles = parsePyVersion('1.8.0-139')!;
    if (ver ? compareVersions(ver, v180HrStyles) > 0 : true) {
      const hrPrompt = res.has('Hires prompt') ? String(res.get('Hires prompt')) : prompt;
      const hrNeg = res.has('Hires negative prompt') ? String(res.get('Hires negative prompt')) : negativePrompt;
      res.set('Hires prompt', hrPrompt === prompt ? '' : hrPrompt);
      res.set('Hires negative prompt', hrNeg === negativePrompt ? '' : hrNeg);
    }
  }

  res.set('Prompt', prompt);
  res.set('Negative prompt', negativePrompt);
  fillDefaults(res, prompt, negativePrompt);
  backcompat(res);

  const fields: Record<string, string> = {};
  for (const [k, v] of res) if (k !== 'Prompt' && k !== 'Negative prompt') fields[k] = pyStr(v);
  return { prompt: String(res.get('Prompt')), negativePrompt: String(res.get('Negative prompt')), fields };
}

function setDefault(res: Map<string, PyValue>, key: string, value: PyValue): void {
  if (!res.has(key)) res.set(key, value);
}

/** The defaults block of parse_generation_parameters, in A1111's order (order decides the dict's key order). */
function fillDefaults(res: Map<string, PyValue>, prompt: string, negativePrompt: string): void {
  setDefault(res, 'Clip skip', '1');
  const hypernet = res.get('Hypernet');
  if (hypernet !== undefined) {
    res.set('Prompt', `${pyStr(res.get('Prompt')!)}<hypernet:${pyStr(hypernet)}:${pyStr(res.get('Hypernet strength') ?? '1.0')}>`);
  }
  if (!res.has('Hires resize-1')) {
    res.set('Hires resize-1', 0);
    res.set('Hires resize-2', 0);
  }
  setDefault(res, 'Hires sampler', 'Use same sampler');
  setDefault(res, 'Hires schedule type', 'Use same scheduler');
  setDefault(res, 'Hires checkpoint', 'Use same checkpoint');
  setDefault(res, 'Hires prompt', '');
  setDefault(res, 'Hires negative prompt', '');
  setDefault(res, 'Mask mode', 'Inpaint masked');
  setDefault(res, 'Masked content', 'original');
  setDefault(res, 'Inpaint area', 'Whole picture');
  setDefault(res, 'Masked area padding', 32);
  restoreOldHiresFixParams(res);
  setDefault(res, 'RNG', 'GPU');
  setDefault(res, 'Schedule type', 'Automatic');
  setDefault(res, 'Schedule max sigma', 0);
  setDefault(res, 'Schedule min sigma', 0);
  setDefault(res, 'Schedule rho', 0);
  setDefault(res, 'VAE Encoder', 'Full');
  setDefault(res, 'VAE Decoder', 'Full');
  setDefault(res, 'FP8 weight', 'Disable');
  if (!res.has('Cache FP16 weight for LoRA') && res.get('FP8 weight') !== 'Disable') res.set('Cache FP16 weight for LoRA', false);
  // A1111 tests the prompts as split from the text (before the Hypernet tag is appended).
  if (!res.has('Emphasis') && promptsUseEmphasis(prompt, negativePrompt)) res.set('Emphasis', 'Original');
  setDefault(res, 'Refiner switch by sampling steps', false);
}

/** Python int() of a str value; NaN where Python would raise (A1111 would then fail the whole paste). */
function pyInt(v: PyValue | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const s = pyStrip(String(v)).replace(/_/g, '');
  return /^[+-]?\d+$/.test(s) ? parseInt(s, 10) : NaN;
}

/** `restore_old_hires_fix_params`: "First pass size" infotexts meant Size was the final (hires) size. */
function restoreOldHiresFixParams(res: Map<string, PyValue>): void {
  const fw = res.get('First pass size-1');
  const fh = res.get('First pass size-2');
  if (fw === undefined || fh === undefined) return;
  let firstW = pyInt(fw, 0);
  let firstH = pyInt(fh, 0);
  const width = pyInt(res.get('Size-1'), 512);
  const height = pyInt(res.get('Size-2'), 512);
  if (firstW === 0 || firstH === 0) {
    // processing.old_hires_fix_first_pass_dimensions
    const scale = Math.sqrt((512 * 512) / (width * height));
    firstW = Math.ceil((scale * width) / 64) * 64;
    firstH = Math.ceil((scale * height) / 64) * 64;
  }
  res.set('Size-1', firstW);
  res.set('Size-2', firstH);
  res.set('Hires resize-1', width);
  res.set('Hires resize-2', height);
}

/** `infotext_versions.parse_version`: keep the first two dash-separated parts, then PEP 440. */
function infotextVersion(v: PyValue | undefined): PyVersion | undefined {
  if (v === undefined) return undefined;
  let text = String(v);
  const m = /^([^-]+-[^-]+)-/su.exec(text);
  if (m) text = m[1]!;
  return parsePyVersion(text);
}

/** `infotext_versions.backcompat`: settings old versions implied without writing them. */
function backcompat(res: Map<string, PyValue>): void {
  const ver = infotextVersion(res.get('Version'));
  if (!ver) return;
  const lt = (s: string) => compareVersions(ver, parsePyVersion(s)!) < 0;
  if (lt('1.6.0') && String(res.get('Prompt') ?? '').includes('[')) res.set('Old prompt editing timelines', true);
  if (lt('1.6.0') && ['DDIM', 'PLMS'].includes(String(res.get('Sampler') ?? ''))) res.set('Pad conds v0', true);
  if (lt('v1.7.0-225')) res.set('Downcast alphas_cumprod', true);
  // d.get('Refiner') is truthy for any non-empty string.
  if (lt('1.8.0') && res.get('Refiner')) res.set('Refiner switch by sampling steps', true);
}
