/**
 * Completions in a `.sdprompt` file: `@key`s and their values, parameter keys of the infotext's parameters
 * line and their enumerated values (sampler and schedule names from the catalog), `<lora:` names and
 * embedding names from the models folders, and the `BREAK` / `AND` keywords. Pure.
 */
import { CompletionItemKind, type CompletionItem, type Position, type Range } from 'vscode-languageserver';
import { STUDIO_KEYS } from '../infotext/sdprompt';
import { findParams } from '../infotext/a1111';
import { FEW_STEP_PRESETS } from '../sampling/presets';
import type { SdPromptModel } from './document';
import type { LanguageEnv } from './languageEnv';
import { AXIS_OPTIONS } from '../scripts/xyzAxes';
import { LATENT_UPSCALE_MODES } from '../validate';

/** Parameter keys of A1111's infotext that a spec is likely to hold, with a line of help. */
export const PARAM_KEYS: ReadonlyArray<[key: string, help: string]> = [
  ['Steps', 'Sampling steps'],
  ['Sampler', 'Sampler name (A1111 display name)'],
  ['Schedule type', 'Noise schedule (Automatic = the sampler\'s default)'],
  ['CFG scale', 'Classifier-free guidance scale'],
  ['Seed', 'Seed; -1 = random'],
  ['Size', 'WIDTHxHEIGHT'],
  ['Denoising strength', 'img2img: 0 keeps the image, 1 replaces it'],
  ['Model', 'Checkpoint name'],
  ['Model hash', 'Checkpoint hash (AutoV2)'],
  ['Variation seed', 'Subseed'],
  ['Variation seed strength', '0..1'],
  ['Seed resize from', 'WIDTHxHEIGHT the seed was made for'],
  ['Mask blur', 'Inpaint mask blur in pixels'],
  ['Masked content', 'Inpaint fill of the masked area'],
  ['Inpaint area', 'Whole picture or only masked'],
  ['Only masked padding, pixels', 'Padding around the masked area'],
  ['Clip skip', 'Stop at the N-th last CLIP layer'],
  ['ENSD', 'Eta noise seed delta'],
  ['RNG', 'Random number generator source'],
  ['Eta', 'Eta of ancestral samplers'],
  ['Hires upscale', 'Hires fix: upscale by (turns the hires fix on)'],
  ['Hires resize', 'Hires fix: resize to WIDTHxHEIGHT (0 = keep the aspect)'],
  ['Hires steps', 'Hires fix: second-pass steps (0 = same as Steps)'],
  ['Hires upscaler', 'Hires fix: a latent mode or an image upscaler'],
  ['Hires sampler', 'Hires fix: second-pass sampler'],
  ['Hires schedule type', 'Hires fix: second-pass schedule type'],
  ['Hires prompt', 'Hires fix: second-pass prompt'],
  ['Hires negative prompt', 'Hires fix: second-pass negative prompt'],
  ['Hires CFG Scale', 'Hires fix: second-pass CFG scale'],
  ['Hires checkpoint', 'Hires fix: second-pass checkpoint'],
  ['Token merging ratio', 'Token merging (ToMe) 0..0.9: faster, a little less detail (checkpoint files)'],
  ['Token merging ratio hr', 'Hires fix: token merging ratio of the second pass'],
  ['NGMS', 'Negative Guidance minimum sigma: below it every other step skips the negative prompt'],
  ['NGMS all steps', 'With NGMS: skip on every step below it (True)'],
  ['VAE Decoder', 'VAE type for decode: Full or TAESD'],
  ['VAE Encoder', 'VAE type for encode: Full or TAESD'],
  ['Aesthetic embedding', 'Aesthetic gradients: an embedding from aesthetic_embeddings/ (NAME of NAME.pt)'],
  ['Aesthetic weight', 'Aesthetic gradients: 0..1, how much of the tuned text model\'s conditioning is mixed in (0.9)'],
  ['Aesthetic steps', 'Aesthetic gradients: Adam steps tuning the CLIP text model (5)'],
  ['Aesthetic LR', 'Aesthetic gradients: learning rate (0.0001)'],
  ['Aesthetic slerp', 'Aesthetic gradients: True = spherical mix, False = linear'],
  ['Aesthetic text', 'Aesthetic gradients: text the embedding is rotated toward'],
  ['Aesthetic text negative', 'Aesthetic gradients: True = rotate away from the text'],
  ['Aesthetic slerp angle', 'Aesthetic gradients: 0..1, how far the text rotates the embedding (0.1)'],
  ['Refiner', 'SDXL refiner checkpoint (name or "name [hash]" under Stable-diffusion/)'],
  ['Refiner switch at', 'SDXL refiner: 0..1 of the sampling where the refiner takes over'],
];

/** Values of parameter keys that have a fixed set (samplers and schedules come from the env). */
export const ENUM_VALUES: Readonly<Record<string, readonly string[]>> = {
  RNG: ['GPU', 'CPU', 'NV'],
  'VAE Decoder': ['Full', 'TAESD'],
  'VAE Encoder': ['Full', 'TAESD'],
  'NGMS all steps': ['True', 'False'],
  'Masked content': ['fill', 'original', 'latent noise', 'latent nothing'],
  'Inpaint area': ['Whole picture', 'Only masked'],
  'Aesthetic slerp': ['True', 'False'],
  'Aesthetic text negative': ['True', 'False'],
};

export const DIRECTIVE_VALUES: Readonly<Record<string, readonly string[]>> = {
  'resize-mode': ['just-resize', 'crop-and-resize', 'resize-and-fill', 'latent-upscale'],
};

const DIRECTIVE_HELP: Record<string, string> = {
  init: 'Init image for img2img, relative to this file',
  mask: 'Inpainting mask (white = repaint), relative to this file',
  'resize-mode': 'How the init image is fitted to Size',
  outdir: 'Output folder, relative to this file',
  style: 'A1111 style from styles.csv (one per line, applied in order)',
  xyz: 'X/Y/Z plot axis "Type: values" (first line X, then Y, then Z), e.g. "Steps: 10-30 [3]"',
};

const KNOWN_KEYS = new Set(PARAM_KEYS.map(([k]) => k));

const rangeOn = (line: number, from: number, to: number): Range => ({ start: { line, character: from }, end: { line, character: to } });

/** Whether `line` reads as a parameters line: the spec's own, or one that starts with a known key. */
function isParamsLine(model: SdPromptModel, line: number): boolean {
  if (model.specs.some((s) => s.spec.paramsRange?.start.line === line)) return true;
  const m = /^([A-Za-z][\w ,-]*?):/.exec(model.lines[line] ?? '');
  return m !== null && KNOWN_KEYS.has(m[1]!);
}

export function sdPromptCompletions(model: SdPromptModel, pos: Position, env: LanguageEnv): CompletionItem[] {
  const lineText = model.lines[pos.line] ?? '';
  const before = lineText.slice(0, pos.character);

  if (lineText.startsWith('@')) {
    const m = /^@([\w-]*)(?:([ \t]*:[ \t]?)(.*))?$/.exec(before);
    if (!m) return [];
    if (m[2] === undefined) {
      return STUDIO_KEYS.map((k) => ({
        label: `@${k}`, kind: CompletionItemKind.Keyword, detail: DIRECTIVE_HELP[k], filterText: `@${k}`,
        textEdit: { range: rangeOn(pos.line, 0, pos.character), newText: `@${k}: ` },
      }));
    }
    if (m[1] === 'xyz') return xyzCompletions(m[3]!, pos, env);
    const values = m[1] === 'style' ? env.styles ?? [] : DIRECTIVE_VALUES[m[1]!] ?? [];
    const from = pos.character - m[3]!.length;
    return values.map((v) => ({ label: v, kind: CompletionItemKind.EnumMember, textEdit: { range: rangeOn(pos.line, from, pos.character), newText: v } }));
  }

  if (isParamsLine(model, pos.line)) return paramCompletions(before, pos, env, lineText);

  if (lineText.startsWith('#') || /^---[ \t]*$/.test(lineText)) return [];
  return promptCompletions(before, pos, env);
}

function paramCompletions(before: string, pos: Position, env: LanguageEnv, lineText: string): CompletionItem[] {
  // The item under the cursor starts after the last ", " (A1111 separates items with a comma and a space).
  const itemStart = Math.max(before.lastIndexOf(', ') + 2, 0);
  const item = before.slice(itemStart);
  const colon = item.indexOf(':');
  if (colon < 0) {
    const keys = PARAM_KEYS.map(([k, help], i): CompletionItem => ({
      label: k, kind: CompletionItemKind.Property, detail: help, sortText: String(i).padStart(3, '0'),
      textEdit: { range: rangeOn(pos.line, itemStart, pos.character), newText: `${k}: ` },
    }));
    return [...keys, ...presetCompletions(lineText, pos)];
  }
  const key = item.slice(0, colon).trim();
  const valueStart = itemStart + colon + 1 + (/^:\s*/.exec(item.slice(colon))![0].length - 1);
  const edit = (v: string) => ({ range: rangeOn(pos.line, valueStart, pos.character), newText: v });
  if (key === 'Sampler') {
    return env.samplers.map((s, i) => ({
      label: s.name, kind: CompletionItemKind.EnumMember, detail: `default schedule: ${s.defaultScheduler}`,
      documentation: s.aliases.length ? `aliases: ${s.aliases.join(', ')}` : undefined, sortText: String(i).padStart(3, '0'), filterText: s.name, textEdit: edit(s.name),
    }));
  }
  if (key === 'Hires upscaler') return [...Object.keys(LATENT_UPSCALE_MODES), ...env.upscalers].map((v, i) => ({ label: v, kind: CompletionItemKind.EnumMember, sortText: String(i).padStart(3, '0'), filterText: v, textEdit: edit(v) }));
  if (key === 'Hires sampler') return env.samplers.map((s, i) => ({ label: s.name, kind: CompletionItemKind.EnumMember, sortText: String(i).padStart(3, '0'), filterText: s.name, textEdit: edit(s.name) }));
  if (key === 'Schedule type' || key === 'Hires schedule type') {
    return env.schedulers.map((s, i) => ({ label: s, kind: CompletionItemKind.EnumMember, sortText: String(i).padStart(3, '0'), filterText: s, textEdit: edit(s) }));
  }
  return (ENUM_VALUES[key] ?? []).map((v) => ({ label: v, kind: CompletionItemKind.EnumMember, filterText: v, textEdit: edit(v) }));
}

/** `@xyz: ` → the axis types; `@xyz: Sampler: ` → that axis's values (samplers, schedules, upscalers, styles). */
function xyzCompletions(value: string, pos: Position, env: LanguageEnv): CompletionItem[] {
  const colon = value.indexOf(':');
  if (colon < 0) {
    const from = pos.character - value.length;
    return AXIS_OPTIONS.filter((o) => o.label !== 'Nothing').map((o, i) => ({
      label: o.label, kind: CompletionItemKind.EnumMember, detail: `${o.type}${o.tab ? ` · ${o.tab} only` : ''}`, sortText: String(i).padStart(3, '0'),
      filterText: o.label, textEdit: { range: rangeOn(pos.line, from, pos.character), newText: `${o.label}: ` },
    }));
  }
  const label = value.slice(0, colon).trim();
  const choices = label === 'Sampler' || label === 'Hires sampler' ? env.samplers.map((s) => s.name)
    : label === 'Schedule type' ? [...env.schedulers]
      : label === 'Hires upscaler' ? [...Object.keys(LATENT_UPSCALE_MODES), ...env.upscalers]
        : label === 'Styles' ? [...(env.styles ?? [])] : label === 'RNG source' ? ['GPU', 'CPU', 'NV'] : [];
  const item = /[^,]*$/.exec(value.slice(colon + 1))![0];
  const from = pos.character - item.replace(/^\s+/, '').length;
  return choices.map((v, i) => ({ label: v, kind: CompletionItemKind.EnumMember, sortText: String(i).padStart(3, '0'), filterText: v, textEdit: { range: rangeOn(pos.line, from, pos.character), newText: v } }));
}

/**
 * Few-step model presets: the whole parameters line rewritten with the preset's sampler, schedule, steps and CFG
 * first, the line's other keys kept (a half-typed word without a colon is dropped).
 */
function presetCompletions(lineText: string, pos: Position): CompletionItem[] {
  const kept = findParams(lineText);
  return FEW_STEP_PRESETS.map((pr, i) => {
    const set: Array<[string, string]> = [['Steps', String(pr.steps)], ['Sampler', pr.sampler_name], ['Schedule type', pr.scheduler], ['CFG scale', String(pr.cfg_scale)]];
    const items = kept.filter(([k]) => !set.some(([s]) => s === k));
    const line = [...set, ...items].map(([k, v]) => `${k}: ${v}`).join(', ');
    return {
      label: `${pr.name} preset`, kind: CompletionItemKind.Snippet, detail: set.map(([k, v]) => `${k}: ${v}`).join(', '),
      documentation: `For ${pr.models}: ${pr.note}.`, sortText: `z${i}`, filterText: `${pr.name} preset`,
      textEdit: { range: rangeOn(pos.line, 0, lineText.length), newText: line },
    };
  });
}

function promptCompletions(before: string, pos: Position, env: LanguageEnv): CompletionItem[] {
  const lora = /<(lora|lyco):([^:<>]*)$/.exec(before);
  if (lora) {
    const from = pos.character - lora[2]!.length;
    return [...env.loras.values()].map((f) => ({
      label: f.name, kind: CompletionItemKind.File, detail: f.path, filterText: f.name,
      textEdit: { range: rangeOn(pos.line, from, pos.character), newText: `${f.name}:1>` },
    }));
  }
  const tag = /<([\p{L}\p{N}_]*)$/u.exec(before);
  if (tag) {
    const from = pos.character - tag[1]!.length;
    return ['lora', 'lyco', 'hypernet'].map((t) => ({
      label: `<${t}:`, kind: CompletionItemKind.Keyword, filterText: t,
      textEdit: { range: rangeOn(pos.line, from, pos.character), newText: `${t}:` },
      ...(t === 'hypernet' ? {} : { command: { title: 'names', command: 'editor.action.triggerSuggest' } }),
    }));
  }
  const word = /[\p{L}\p{N}_.-]*$/u.exec(before)![0];
  const from = pos.character - word.length;
  const items: CompletionItem[] = [...env.embeddings.values()].map((f) => ({
    label: f.name, kind: CompletionItemKind.Reference, detail: `embedding · ${f.path}`, filterText: f.name,
    textEdit: { range: rangeOn(pos.line, from, pos.character), newText: f.name },
  }));
  for (const k of ['BREAK', 'AND']) {
    items.push({ label: k, kind: CompletionItemKind.Keyword, detail: k === 'BREAK' ? 'start a new 75-token chunk' : 'compose prompts (AND prompt :weight)', textEdit: { range: rangeOn(pos.line, from, pos.character), newText: k } });
  }
  return items;
}
