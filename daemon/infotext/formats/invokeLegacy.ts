// InvokeAI 2.x and lstein/stable-diffusion: the "sd-metadata" JSON (ldm/invoke/args.py: metadata_dumps — the
// image record under "image", or "images"[0] for a grid) and the "Dream" command line
// (`"prompt" -s 50 -S 42 -W 512 -H 512 -C 7.5 -A k_lms [-I init.png -f 0.75]`). The negative prompt is written
// inside the prompt in square brackets ("a cat [blurry, dog]"). An img2img record keeps its strength as
// "strength_steps" (args.py renames it); older files as "strength".

import { emptyResult, int, num, seedOf, str, type FormatResult } from '../generationInfo';
import { isObject, type JsonValue } from '../json';

type Obj = { [key: string]: JsonValue };

/** `Dream` text: `"prompt" -s 20 -W 512 …` or an unquoted prompt before the first switch. */
export function parseDream(text: string): { prompt: string; switches: Record<string, string> } {
  let rest = text.trim();
  let prompt: string;
  const quoted = /^"((?:\\.|[^"\\])*)"/.exec(rest);
  if (quoted) {
    prompt = quoted[1]!.replace(/\\(.)/g, '$1');
    rest = rest.slice(quoted[0].length);
  } else {
    const sw = rest.search(/(^|\s)-[A-Za-z]+(\s|$)/);
    prompt = (sw < 0 ? rest : rest.slice(0, sw)).trim();
    rest = sw < 0 ? '' : rest.slice(sw);
  }
  const switches: Record<string, string> = {};
  for (const m of rest.matchAll(/(?:^|\s)-{1,2}([A-Za-z_]+)(?:\s+((?!-[A-Za-z])\S+))?/g)) switches[m[1]!] = m[2] ?? 'true';
  return { prompt, switches };
}

/** InvokeAI 2.x's prompt syntax: "[...]" groups are the negative prompt. Null negative when there are none. */
export function splitBracketNegative(prompt: string): { prompt: string; negative: string | null } {
  const negatives: string[] = [];
  let depth = 0;
  let start = -1;
  let kept = '';
  let last = 0;
  for (let i = 0; i < prompt.length; i++) {
    if (prompt[i] === '[' && depth++ === 0) start = i;
    else if (prompt[i] === ']' && depth > 0 && --depth === 0) {
      negatives.push(prompt.slice(start + 1, i).trim());
      kept += prompt.slice(last, start);
      last = i + 1;
    }
  }
  if (!negatives.length) return { prompt, negative: null };
  kept += prompt.slice(last);
  return { prompt: kept.replace(/\s{2,}/g, ' ').trim(), negative: negatives.join(', ') };
}

/** InvokeAI 2.x / lstein `sd-metadata` (`image` or `images[0]`), with the `Dream` line folded in. */
export function readInvokeLegacy(meta: Obj | null, dream: string | null, source: string): FormatResult {
  const r = emptyResult('invokeai-legacy', meta ? source : 'Dream');
  const img = meta ? (isObject(meta.image) ? meta.image : Array.isArray(meta.images) && isObject(meta.images[0]) ? meta.images[0] : {}) : {};
  const d = dream !== null ? parseDream(dream) : null;
  if (meta) r.generator = [str(meta.app_id), str(meta.app_version)].filter(Boolean).join(' ') || null;
  const prompt = img.prompt;
  let text: string | null;
  if (Array.isArray(prompt)) text = prompt.map((p) => (isObject(p) ? str(p.prompt) ?? '' : '')).join(' ');
  else text = str(prompt) ?? d?.prompt ?? null;
  if (text !== null) {
    const split = splitBracketNegative(text);
    r.prompt = split.prompt;
    r.negativePrompt = split.negative;
  }
  r.steps = int(img.steps) ?? int(d?.switches.s);
  r.sampler = str(img.sampler) ?? str(img.sampler_name) ?? d?.switches.A ?? null;
  r.cfgScale = num(img.cfg_scale) ?? num(d?.switches.C);
  r.seed = seedOf(img.seed) ?? seedOf(d?.switches.S);
  r.width = int(img.width) ?? int(d?.switches.W);
  r.height = int(img.height) ?? int(d?.switches.H);
  r.modelHash = meta ? str(meta.model_hash) : null;
  r.model = meta ? str(meta.model_id) ?? str(meta.model_weights) : null;
  if (img.type === 'img2img') r.denoisingStrength = num(img.strength_steps) ?? num(img.strength) ?? num(d?.switches.f);
  else if (!meta && d?.switches.I !== undefined) r.denoisingStrength = num(d.switches.f);
  const params: Obj = {};
  if (meta) for (const [k, v] of Object.entries(meta)) if (k !== 'image' && k !== 'images') params[k] = v;
  Object.assign(params, img);
  if (d) {
    params.dream_prompt = d.prompt;
    params.dream_switches = d.switches;
  }
  r.parameters = params;
  return r;
}
