import { resolve } from 'node:path';
import type { PromptInspectResult } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import { DaemonClient, errorMessage, exitCodeFor } from '../client';
import type { CliCommand } from '../command';

const flags: Record<string, FlagSpec> = {
  steps: { kind: 'int', help: 'sampling steps for the schedules (default 20)' },
  'hires-steps': { kind: 'int', help: 'hires fix second-pass steps: print the second pass\'s schedules, counted over both passes as A1111 does' },
  model: { kind: 'string', help: 'diffusers model folder whose tokenizer/ counts the tokens' },
  negative: { kind: 'boolean', help: 'read it as a negative prompt (no AND split)' },
  json: { kind: 'boolean', help: 'print the inspection as one JSON object' },
};

const TOKENS_UNAVAILABLE = 'tokens unavailable: no tokenizer (use --model DIR, set SD_STUDIO_TOKENIZER, or configure a model)';

/** Exactly the published `--json` shape (outside checks read it), keys in that order. */
function jsonOf(r: PromptInspectResult): object {
  return { schedules: r.schedules, and: r.and, chunks: r.chunks, tokenCount: r.tokenCount, loras: r.loras, embeddings: r.embeddings };
}

const fmt = (w: number): string => String(Number(w.toFixed(4)));

function textOf(r: PromptInspectResult, hires: boolean): string {
  const out: string[] = [];
  if (r.and.length > 1) {
    out.push('AND parts:');
    for (const a of r.and) out.push(`  ${fmt(a.weight)} × ${JSON.stringify(a.text)}`);
  }
  out.push(hires ? 'hires pass schedule (when counted over both passes):' : 'schedule:');
  for (const s of r.schedules) {
    out.push(`  until ${hires ? 'hires ' : ''}step ${s.end}: ${JSON.stringify(s.text)}`);
    const att = s.attention ? s.attention.map(([t, w]) => (t === 'BREAK' && w === -1 ? 'BREAK' : `${JSON.stringify(t)}×${fmt(w)}`)).join('  ') : '(A1111 would stop: bad emphasis weight)';
    out.push(`    ${att}`);
  }
  if (r.tokenCount === null) out.push(TOKENS_UNAVAILABLE);
  else {
    const target = Math.max(1, Math.ceil(r.tokenCount / 75)) * 75;
    out.push(`tokens: ${r.tokenCount}/${target}  chunks: ${r.chunks.map((c) => c.tokens).join(' + ')}`);
  }
  if (r.loras.length) out.push(`loras: ${r.loras.map((l) => `${l.name} ${fmt(l.weight)}`).join(', ')}`);
  if (r.embeddings.length) out.push(`embeddings: ${r.embeddings.join(', ')}`);
  for (const d of r.diagnostics) out.push(`${d.severity} [${d.start}-${d.end}] ${d.code}: ${d.message}`);
  return `${out.join('\n')}\n`;
}

/** `sd-studio prompt "<text>"`: how A1111 reads a prompt — what its token counter shows, and more. */
export const promptCommand: CliCommand = {
  name: 'prompt',
  summary: 'inspect a prompt as A1111 reads it: schedules, emphasis, AND, tokens per chunk, LoRA tags, problems',
  usage: () => usageText('prompt', '"<text>" [--steps N] [--hires-steps M] [--model DIR] [--negative] [--json]', flags),
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, flags, true);
    if (positionals.length !== 1) throw new UsageError('give the prompt as one argument (quote it)');
    const steps = (f.steps as number | undefined) ?? 20;
    if (steps < 1) throw new UsageError('--steps: expected at least 1');
    const hiresSteps = f['hires-steps'] as number | undefined;
    if (hiresSteps !== undefined && hiresSteps < 1) throw new UsageError('--hires-steps: expected at least 1');
    const client = await DaemonClient.start();
    try {
      const r = await client.request('sd/prompt.inspect', {
        text: positionals[0]!,
        steps,
        ...(hiresSteps !== undefined ? { hiresSteps } : {}),
        ...(typeof f.model === 'string' ? { model: resolve(f.model) } : {}),
        negative: f.negative === true,
      });
      if (f.json) {
        process.stdout.write(`${JSON.stringify(jsonOf(r))}\n`);
        if (r.tokenCount === null) process.stderr.write(`${TOKENS_UNAVAILABLE}\n`);
      } else process.stdout.write(textOf(r, hiresSteps !== undefined));
      return 0;
    } catch (e) {
      process.stderr.write(`sd-studio prompt: ${errorMessage(e)}\n`);
      return exitCodeFor(e);
    } finally {
      await client.stop();
    }
  },
};
