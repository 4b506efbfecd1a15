/**
 * Diagnostics of a `.sdprompt` file: the file format's own problems, the prompt parser's (unbalanced brackets,
 * bad weights, ...), LoRA and embedding names missing from the models folders, word groups cut by a 75-token
 * chunk boundary, parameter values A1111 would not accept, and init/mask paths that do not exist. Pure.
 */
import { NOT_HONOURED, notHonouredWarning } from '../infotext/notHonoured';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { parseExtraNetworks, parsePrompt } from '../prompt';
import { resolveSampler } from '../sampling';
import type { ParsedSpec } from '../infotext/sdprompt';
import type { SdPromptModel, PromptRegion } from './document';
import { findNetwork, type LanguageEnv } from './languageEnv';
import { chunkCrossings } from './promptTools';
import { RESIZE_MODES, specPath, xyzAxisOf } from './specParams';
import { AXIS_OPTIONS, axisValues, findAxis } from '../scripts/xyzAxes';

const SOURCE = 'sd-studio';
const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

export function sdPromptDiagnostics(model: SdPromptModel, env: LanguageEnv): Diagnostic[] {
  const out: Diagnostic[] = model.problems.map((p) => ({ range: p.range, severity: DiagnosticSeverity.Warning, source: SOURCE, code: 'sdprompt', message: p.message }));
  for (const s of model.specs) {
    const steps = stepsOf(s.spec);
    for (const r of [s.prompt, s.negative]) if (r) out.push(...promptDiagnostics(r, env, steps));
    out.push(...paramDiagnostics(s.spec), ...directiveDiagnostics(s.spec, env));
  }
  return out;
}

function stepsOf(spec: ParsedSpec): number {
  const v = spec.params.find((p) => p.key === 'Steps')?.value;
  const n = v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : 20;
  return n >= 1 && n <= 10_000 ? n : 20;
}

export function promptDiagnostics(region: PromptRegion, env: LanguageEnv, steps = 20): Diagnostic[] {
  const negative = region.kind === 'negative';
  const out: Diagnostic[] = [];
  const at = (start: number, end: number) => region.rangeOf(start, end);
  for (const d of parsePrompt(region.text, { steps, negative }).diagnostics) {
    const a1111 = d.a1111 === 'fails' ? ' (A1111 fails)' : '';
    out.push({ range: at(d.start, d.end), severity: SEVERITY[d.severity], source: SOURCE, code: d.code, message: d.message + (a1111 && !/stops|fails/.test(d.message) ? a1111 : '') });
  }
  for (const tag of parseExtraNetworks(region.text).networks) {
    if ((tag.type !== 'lora' && tag.type !== 'lyco') || env.loraFolders.length === 0) continue;
    const name = tag.positional[0] ?? '';
    if (name === '' || findNetwork(env.loras, name)) continue;
    out.push({
      range: at(tag.start, tag.end), severity: DiagnosticSeverity.Warning, source: SOURCE, code: 'unknown-lora',
      message: `LoRA "${name}" is not in ${env.loraFolders.join(', ')}: A1111 reports "networks not found" and generates without it.`,
    });
  }
  for (const m of region.text.matchAll(/\bembedding:([\p{L}\p{N}_.-]+)/gu)) {
    const name = m[1]!;
    const known = findNetwork(env.embeddings, name);
    const range = at(m.index!, m.index! + m[0].length);
    if (known) {
      out.push({ range, severity: DiagnosticSeverity.Information, source: SOURCE, code: 'embedding-syntax', message: `"embedding:" is ComfyUI syntax; A1111 uses an embedding by its name alone: write "${known.name}".` });
    } else if (env.embeddingFolders.length > 0) {
      out.push({ range, severity: DiagnosticSeverity.Warning, source: SOURCE, code: 'unknown-embedding', message: `Embedding "${name}" is not in ${env.embeddingFolders.join(', ')}: A1111 reads "${m[0]}" as plain words.` });
    }
  }
  if (env.tokenizer) {
    for (const c of chunkCrossings(region.text, env.tokenizer, negative)) {
      out.push({
        range: at(c.start, c.end), severity: DiagnosticSeverity.Warning, source: SOURCE, code: 'chunk-boundary',
        message: `This word group crosses the boundary between 75-token chunks ${c.chunk} and ${c.chunk + 1}: A1111 encodes its halves separately, which weakens it. Shorten the prompt before it, or put "BREAK" before the group.`,
      });
    }
  }
  return out;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;

function paramDiagnostics(spec: ParsedSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const bad = (range: ParsedSpec['params'][number]['valueRange'], code: string, message: string, severity: DiagnosticSeverity = DiagnosticSeverity.Error): void =>
    void out.push({ range, severity, source: SOURCE, code, message });
  for (const p of spec.params) {
    const v = p.value.trim();
    switch (p.key) {
      case 'Sampler':
        try {
          resolveSampler(v);
        } catch {
          bad(p.valueRange, 'unknown-sampler', `Unknown sampler "${v}". Press Ctrl+Space for the sampler names.`);
        }
        break;
      case 'Schedule type':
        try {
          resolveSampler('Euler', v);
        } catch {
          bad(p.valueRange, 'unknown-schedule', `Unknown schedule type "${v}". Press Ctrl+Space for the schedule types.`);
        }
        break;
      case 'Steps':
        if (!/^\d+$/.test(v) || Number(v) < 1) bad(p.valueRange, 'bad-steps', `Steps must be a whole number ≥ 1, not "${v}".`);
        break;
      case 'Seed':
        if (!/^-?\d+$/.test(v)) bad(p.valueRange, 'bad-seed', `Seed must be a whole number (-1 for random), not "${v}".`);
        break;
      case 'CFG scale':
        if (!NUMBER.test(v)) bad(p.valueRange, 'bad-cfg', `CFG scale must be a number, not "${v}".`);
        break;
      case 'Denoising strength':
        if (!NUMBER.test(v) || Number(v) < 0 || Number(v) > 1) bad(p.valueRange, 'bad-denoising', `Denoising strength must be a number from 0 to 1, not "${v}".`);
        break;
      case 'Size':
        if (!/^\d+x\d+$/.test(v)) bad(p.valueRange, 'bad-size', `Size must be WIDTHxHEIGHT (e.g. 512x768), not "${v}".`);
        else if (v.split('x').some((n) => Number(n) % 8 !== 0)) bad(p.valueRange, 'size-multiple', 'Width and height are rounded down to a multiple of 8.', DiagnosticSeverity.Information);
        break;
      case 'RNG':
        if (!['GPU', 'CPU', 'NV'].includes(v)) bad(p.valueRange, 'bad-rng', `RNG must be GPU, CPU or NV, not "${v}".`);
        break;
      case 'Aesthetic weight':
      case 'Aesthetic slerp angle':
        if (!NUMBER.test(v) || Number(v) < 0 || Number(v) > 1) bad(p.valueRange, 'bad-aesthetic', `${p.key} must be a number from 0 to 1, not "${v}".`);
        break;
      case 'Aesthetic steps':
        if (!/^\d+$/.test(v)) bad(p.valueRange, 'bad-aesthetic', `Aesthetic steps must be a whole number, not "${v}".`);
        break;
      case 'Aesthetic LR':
        // Python writes small floats with an exponent (1e-05).
        if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(v) || Number(v) < 0) bad(p.valueRange, 'bad-aesthetic', `Aesthetic LR must be a number ≥ 0, not "${v}".`);
        break;
      case 'Aesthetic slerp':
      case 'Aesthetic text negative':
        if (v !== 'True' && v !== 'False') bad(p.valueRange, 'bad-aesthetic', `${p.key} must be True or False, not "${v}".`);
        break;
      default:
        if (NOT_HONOURED.some((f) => f.keys.test(p.key))) {
          bad(p.keyRange, 'not-honoured', notHonouredWarning([p.key])!, DiagnosticSeverity.Warning);
        }
        break;
    }
  }
  return out;
}

/** What is wrong with one `@xyz: Type: values` line (as the plot would report it), or undefined. */
function xyzProblem(value: string): string | undefined {
  const axis = xyzAxisOf(value);
  if (!axis) return 'Expected "Type: values", e.g. "Steps: 10, 20, 30" or "Sampler: Euler a, DPM++ 2M".';
  const opt = findAxis(axis.type);
  if (!opt) return `Unknown X/Y/Z axis "${axis.type}" (${AXIS_OPTIONS.map((o) => o.label).join(', ')}).`;
  try {
    const values = axisValues(opt, axis.values);
    if (values.length === 0) return `No values for ${opt.label}.`;
    if (opt.label === 'Sampler' || opt.label === 'Hires sampler') for (const v of values) resolveSampler(String(v));
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

function directiveDiagnostics(spec: ParsedSpec, env: LanguageEnv): Diagnostic[] {
  const out: Diagnostic[] = [];
  spec.directives.forEach((d, i) => {
    const range = spec.directiveRanges[i]!.value;
    if (d.key === 'init' || d.key === 'mask') {
      if (d.value.trim() === '') {
        out.push({ range: spec.directiveRanges[i]!.key, severity: DiagnosticSeverity.Warning, source: SOURCE, code: 'empty-path', message: `@${d.key} needs an image path.` });
        return;
      }
      const p = specPath(d.value, env.docDir);
      if (p === null) out.push({ range, severity: DiagnosticSeverity.Information, source: SOURCE, code: 'unsaved-file', message: `Save the file first: "${d.value}" is relative to the file's folder.` });
      else if (!env.exists(p)) out.push({ range, severity: DiagnosticSeverity.Error, source: SOURCE, code: 'path-not-found', message: `${d.key === 'init' ? 'Init image' : 'Mask'} not found: ${p}` });
    } else if (d.key === 'resize-mode' && RESIZE_MODES[d.value.trim()] === undefined) {
      out.push({ range, severity: DiagnosticSeverity.Error, source: SOURCE, code: 'bad-resize-mode', message: `Unknown resize mode "${d.value}" (just-resize, crop-and-resize, resize-and-fill, latent-upscale).` });
    } else if (d.key === 'style' && env.styles && !env.styles.includes(d.value.trim())) {
      out.push({ range, severity: DiagnosticSeverity.Error, source: SOURCE, code: 'unknown-style', message: `Style "${d.value.trim()}" is not in styles.csv${env.styles.length ? ` (${env.styles.join(', ')})` : ''}.` });
    } else if (d.key === 'xyz') {
      const problem = xyzProblem(d.value);
      if (problem) out.push({ range, severity: DiagnosticSeverity.Error, source: SOURCE, code: 'bad-xyz-axis', message: problem });
    }
  });
  return out;
}
