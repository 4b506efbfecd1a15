/**
 * Hovers in a `.sdprompt` file: on prompt words, the token count per 75-token chunk and the word's effective
 * weight; on `<lora:…>` tags and embedding names, the file, its size and hashes; on parameter keys and values,
 * what they mean. Pure (hashes come from the env).
 */
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import { inspectPrompt, parseExtraNetworks, readLora } from '../prompt';
import { PARAM_KEYS } from './completion';
import { inRange, regionAt, type PromptRegion, type SdPromptModel } from './document';
import { findNetwork, type LanguageEnv, type NetworkFile } from './languageEnv';
import { weightAt } from './promptTools';

const fmtWeight = (w: number): string => (Number.isInteger(w) ? w.toFixed(1) : String(Math.round(w * 10000) / 10000));
const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

export function tokenSummary(region: PromptRegion, env: LanguageEnv, steps = 20): string {
  if (!env.tokenizer) return 'tokens unavailable (no tokenizer: set `sdStudio.model` to a diffusers folder, or `SD_STUDIO_TOKENIZER`)';
  const r = inspectPrompt(region.text, { steps, tokenizer: env.tokenizer, negative: region.kind === 'negative' }).inspection;
  const chunks = r.chunks.map((c, i) => `chunk ${i + 1}: ${c.tokens}/75`).join(' · ');
  return `${r.tokenCount ?? 0} tokens (${r.chunks.length} ${r.chunks.length === 1 ? 'chunk' : 'chunks'}: ${chunks})`;
}

function fileDetails(kind: string, f: NetworkFile, env: LanguageEnv, hashKey: 'lora' | 'ti'): string[] {
  const lines = [`**${kind}** \`${f.name}\``, '', `file: \`${f.path}\` (${mib(f.size)})`];
  const h = env.hashes?.(f.path);
  if (h === 'pending') lines.push('', 'hash: computing… (hover again)');
  else if (h) lines.push('', `hash: \`${h[hashKey]}\` (${hashKey === 'lora' ? 'Lora hashes' : 'TI hashes'}) · sha256 \`${h.sha256}\``);
  return lines;
}

export function sdPromptHover(model: SdPromptModel, pos: Position, env: LanguageEnv): Hover | null {
  const found = regionAt(model, pos);
  if (found) return promptHover(found.region, found.offset, env, stepsOf(found.spec.spec.params));
  for (const s of model.specs) {
    for (const p of s.spec.params) {
      if (inRange(p.keyRange, pos)) {
        const help = PARAM_KEYS.find(([k]) => k === p.key)?.[1];
        return { range: p.keyRange, contents: { kind: MarkupKind.Markdown, value: `**${p.key}**${help ? ` — ${help}` : ''}` } };
      }
      if (inRange(p.valueRange, pos) && p.key === 'Sampler') {
        const info = env.samplers.find((x) => x.name === p.value.trim() || x.aliases.includes(p.value.trim()));
        if (info) return { range: p.valueRange, contents: { kind: MarkupKind.Markdown, value: `**${info.name}** · default schedule: ${info.defaultScheduler}${info.aliases.length ? ` · aliases: ${info.aliases.join(', ')}` : ''}` } };
      }
    }
  }
  return null;
}

const stepsOf = (params: ReadonlyArray<{ key: string; value: string }>): number => {
  const v = params.find((p) => p.key === 'Steps')?.value.trim();
  return v && /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 10_000 ? Number(v) : 20;
};

function promptHover(region: PromptRegion, offset: number, env: LanguageEnv, steps: number): Hover | null {
  const tokens = tokenSummary(region, env, steps);
  const what = region.kind === 'negative' ? 'Negative prompt' : 'Prompt';
  const tag = parseExtraNetworks(region.text).networks.find((t) => offset >= t.start && offset <= t.end);
  if (tag) {
    const lines: string[] = [];
    if (tag.type === 'lora' || tag.type === 'lyco') {
      const r = readLora(tag);
      const name = tag.positional[0] ?? '';
      const f = findNetwork(env.loras, name);
      if (f) lines.push(...fileDetails('LoRA', f, env, 'lora'));
      else lines.push(`**LoRA** \`${name}\` — not found in the models folders`);
      if ('lora' in r) lines.push('', `weight: text encoder ${fmtWeight(r.lora.weight)} · UNet ${fmtWeight(r.lora.unetWeight)}`);
      else lines.push('', `⚠ ${r.error}`);
    } else lines.push(`**<${tag.type}:…>** extra-network tag`);
    return { range: region.rangeOf(tag.start, tag.end), contents: { kind: MarkupKind.Markdown, value: lines.join('\n') } };
  }
  const w = weightAt(region.text, offset, region.kind === 'negative');
  if (!w) return { contents: { kind: MarkupKind.Markdown, value: `${what}: ${tokens}` } };
  const lines = [`\`${w.word}\` · effective weight **${fmtWeight(w.weight)}**`];
  const emb = findNetwork(env.embeddings, w.word);
  if (emb) lines.push('', ...fileDetails('Embedding', emb, env, 'ti'));
  lines.push('', `${what}: ${tokens}`);
  return { range: region.rangeOf(w.start, w.end), contents: { kind: MarkupKind.Markdown, value: lines.join('\n') } };
}
