// A1111's "Prompts from file or textbox" script (`scripts/prompts_from_file.py`): each non-empty line is a prompt,
// or `--option value …` in shell syntax. Pure: the runner is pipelines/promptScripts.ts.
import type { Img2ImgParams } from '../protocol';

/** POSIX shlex.split: whitespace-separated words, '…' and "…" quotes, backslash escapes. */
export function shlexSplit(line: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('No closing quotation');
      word += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (ch === '"') {
      i++;
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && i + 1 < line.length && '\\"$`\n'.includes(line[i + 1]!)) i++;
        word += line[i];
      }
      if (i >= line.length) throw new Error('No closing quotation');
      inWord = true;
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new Error('No escaped character');
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(word);
  return out;
}

type Tag = 'str' | 'int' | 'float' | 'bool' | 'list';
const TAGS: Record<string, [keyof Img2ImgParams, Tag]> = {
  sd_model: ['model', 'str'], prompt: ['prompt', 'str'], negative_prompt: ['negative_prompt', 'str'], styles: ['styles', 'list'],
  seed: ['seed', 'int'], subseed_strength: ['subseed_strength', 'float'], subseed: ['subseed', 'int'],
  seed_resize_from_h: ['seed_resize_from_h', 'int'], seed_resize_from_w: ['seed_resize_from_w', 'int'], sampler_name: ['sampler_name', 'str'],
  batch_size: ['batch_size', 'int'], n_iter: ['n_iter', 'int'], steps: ['steps', 'int'], cfg_scale: ['cfg_scale', 'float'],
  width: ['width', 'int'], height: ['height', 'int'], restore_faces: ['restore_faces', 'bool'], do_not_save_grid: ['do_not_save_grid', 'bool'],
  denoising_strength: ['denoising_strength', 'float'],
};

/** `cmdargs`: one line's `--tag value` pairs; `--prompt` and `--negative_prompt` take words up to the next `--`. */
export function cmdArgs(line: string): Partial<Img2ImgParams> {
  const args = shlexSplit(line);
  const res: Record<string, unknown> = {};
  for (let pos = 0; pos < args.length;) {
    const arg = args[pos]!;
    if (!arg.startsWith('--')) throw new Error(`must start with "--": ${arg}`);
    if (pos + 1 >= args.length) throw new Error(`missing argument for command line option ${arg}`);
    const tag = arg.slice(2);
    if (tag === 'prompt' || tag === 'negative_prompt') {
      const words = [args[++pos]!];
      for (pos++; pos < args.length && !args[pos]!.startsWith('--'); pos++) words.push(args[pos]!);
      res[tag] = words.join(' ');
      continue;
    }
    const spec = TAGS[tag];
    if (!spec) throw new Error(`unknown commandline option: ${arg}`);
    const v = args[pos + 1]!;
    const [key, kind] = spec;
    if (kind === 'int') {
      if (!/^[+-]?\d+$/.test(v.trim())) throw new Error(`invalid literal for int(): "${v}"`);
      res[key] = Number(v);
    } else if (kind === 'float') {
      if (v.trim() === '' || !Number.isFinite(Number(v))) throw new Error(`could not convert string to float: "${v}"`);
      res[key] = Number(v);
    } else if (kind === 'bool') res[key] = v === 'true';
    else if (kind === 'list') res[key] = v.split(',').map((s) => s.trim()).filter(Boolean);
    else res[key] = v;
    pos += 2;
  }
  return res as Partial<Img2ImgParams>;
}

/** One job per non-empty line; a line that does not parse as options is a prompt (A1111 reports and goes on). */
export function promptLines(text: string): Array<{ line: string; args: Partial<Img2ImgParams>; error?: string }> {
  return text.split(/\r\n|\n|\r/).map((l) => l.trim()).filter((l) => l !== '').map((line) => {
    if (!line.includes('--')) return { line, args: { prompt: line } };
    try {
      return { line, args: cmdArgs(line) };
    } catch (e) {
      return { line, args: { prompt: line }, error: (e as Error).message };
    }
  });
}
