/**
 * The prompt inspector behind `sd-studio prompt` and `sd/prompt.inspect`: what A1111's token counter shows,
 * and more. Pure: the caller supplies the tokenizer (or none) and the embedding names it knows.
 */
import { tryParsePromptAttention, type AttentionFragment } from './attention';
import { tokenizeChunks, type TokenizedPrompt } from './chunker';
import type { ClipTokenizer } from './clipTokenizer';
import { parseExtraNetworks, readLora } from './extraNetworks';
import { getMulticondPromptList } from './multicond';
import { parsePrompt, type PromptDiagnostic } from './parser';
import { getLearnedConditioningPromptSchedules } from './schedules';

/** Exactly the published `sd-studio prompt --json` shape; token fields are [] / null without a tokenizer. */
export interface PromptInspection {
  schedules: { end: number; text: string; attention: AttentionFragment[] | null }[];
  and: { text: string; weight: number }[];
  chunks: { tokens: number }[];
  tokenCount: number | null;
  loras: { name: string; weight: number }[];
  embeddings: string[];
}

export interface InspectOptions {
  /** Sampling steps the schedules are computed for (A1111's default 20). */
  steps?: number;
  /**
   * Steps of a hires second pass: the schedules are then the hires pass's, as A1111 builds them with
   * `hires_steps` (`when` counted over both passes: `[a:b:12]` with 10 + 10 steps switches at hires step 2).
   */
  hiresSteps?: number | null;
  tokenizer?: ClipTokenizer | null;
  /** Embedding name → vector count. */
  embeddings?: ReadonlyMap<string, number>;
  negative?: boolean;
}

export interface InspectResult {
  inspection: PromptInspection;
  diagnostics: PromptDiagnostic[];
  /** False when no tokenizer was given: `chunks` is [] and `tokenCount` null. */
  tokensAvailable: boolean;
}

/**
 * A1111's order (`StableDiffusionProcessing.setup_conds`): tags out, AND split (positive only), schedules per part,
 * then tokens. The token count is A1111's counter: the largest over every scheduled text of every part; `chunks` are
 * that text's.
 */
export function inspectPrompt(text: string, options: InspectOptions = {}): InspectResult {
  const steps = options.steps ?? 20;
  const { text: stripped, networks } = parseExtraNetworks(text);
  const multi = options.negative ? { indexes: [[[0, 1] as [number, number]]], flat: [stripped] } : getMulticondPromptList([stripped]);
  const and = multi.indexes[0]!.map(([i, weight]) => ({ text: multi.flat[i]!, weight }));
  const schedules = getLearnedConditioningPromptSchedules(multi.flat, steps, options.hiresSteps ?? null)
    .flat()
    .map(([end, t]) => {
      const a = tryParsePromptAttention(t);
      return { end, text: t, attention: a.ok ? a.fragments : null };
    });

  const loras: PromptInspection['loras'] = [];
  for (const tag of networks) {
    if (tag.type !== 'lora' && tag.type !== 'lyco') continue;
    const r = readLora(tag);
    if ('lora' in r) loras.push({ name: r.lora.name, weight: r.lora.weight });
  }

  const diagnostics = parsePrompt(text, { steps, negative: options.negative ?? false }).diagnostics;
  const tokenizer = options.tokenizer ?? null;
  let chunks: PromptInspection['chunks'] = [];
  let tokenCount: number | null = null;
  const embeddings: string[] = [];
  if (tokenizer) {
    let best: TokenizedPrompt | null = null;
    for (const s of schedules) {
      if (s.attention === null) continue; // A1111 would stop with ValueError here; reported in diagnostics
      const r = tokenizeChunks(s.text, tokenizer, { embeddings: options.embeddings ?? new Map() });
      for (const c of r.chunks) for (const f of c.fixes) if (!embeddings.includes(f.embedding)) embeddings.push(f.embedding);
      if (!best || r.tokenCount > best.tokenCount) best = r; // first maximum wins, as Python's max()
    }
    if (best) {
      chunks = best.chunks.map((c) => ({ tokens: c.length }));
      tokenCount = best.tokenCount;
    }
  }
  return { inspection: { schedules, and, chunks, tokenCount, loras, embeddings }, diagnostics, tokensAvailable: tokenizer !== null };
}
