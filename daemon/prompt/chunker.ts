/**
 * A1111's 75-token chunking (`modules/sd_hijack_clip.py: TextConditionalModel.tokenize_line`): attention
 * fragments tokenized one by one, BREAK flushing a chunk, the comma backtrack, textual-inversion names taking
 * their vector count in placeholder slots; then per-chunk BOS/EOS and padding for the text encoder.
 */
import { parsePromptAttention } from './attention';
import type { ClipTokenizer, TextEncoderKind } from './clipTokenizer';

/** Where a textual-inversion embedding's vectors go: `offset` counts within the 75 (model position offset + 1). */
export interface ChunkFix {
  offset: number;
  embedding: string;
  vectors: number;
}

export interface PromptChunk {
  /** 75 ids: the prompt's tokens (0 in embedding slots), then EOS padding, without BOS/EOS. */
  tokens: number[];
  /** 75 emphasis multipliers (1.0 on padding). */
  multipliers: number[];
  fixes: ChunkFix[];
  /** How many of the 75 are prompt tokens (the rest is padding). */
  length: number;
}

export interface ChunkOptions {
  /** Embedding name → vector count; names match case-insensitively through the tokenizer (A1111 does the same). */
  embeddings?: ReadonlyMap<string, number>;
  chunkLength?: number;
  /** `opts.comma_padding_backtrack`; 0 disables. */
  commaPaddingBacktrack?: number;
}

export interface TokenizedPrompt {
  chunks: PromptChunk[];
  /** A1111's count: 75 per chunk before the last, plus the last chunk's tokens (what its UI counter shows). */
  tokenCount: number;
}

interface EmbeddingEntry {
  name: string;
  ids: number[];
  vectors: number;
}

/** A1111's `ids_lookup`: first token id → candidates, longest token sequence first (stable for ties). */
function buildLookup(tokenizer: ClipTokenizer, embeddings: ReadonlyMap<string, number>): Map<number, EmbeddingEntry[]> {
  const lookup = new Map<number, EmbeddingEntry[]>();
  for (const [name, vectors] of embeddings) {
    const ids = tokenizer.encode(name);
    if (ids.length === 0) continue;
    const list = lookup.get(ids[0]!) ?? [];
    list.push({ name, ids, vectors });
    list.sort((a, b) => b.ids.length - a.ids.length);
    lookup.set(ids[0]!, list);
  }
  return lookup;
}

function findEmbeddingAt(lookup: Map<number, EmbeddingEntry[]>, tokens: readonly number[], pos: number): EmbeddingEntry | null {
  const candidates = lookup.get(tokens[pos]!);
  if (!candidates) return null;
  for (const c of candidates) {
    if (c.ids.every((id, i) => tokens[pos + i] === id)) return c;
  }
  return null;
}

/**
 * Tokenize and chunk one prompt text (already free of extra-network tags and editing syntax). Throws
 * `AttentionWeightError` where A1111 raises (`(a:1.2.3)`).
 */
export function tokenizeChunks(text: string, tokenizer: ClipTokenizer, options: ChunkOptions = {}): TokenizedPrompt {
  const chunkLength = options.chunkLength ?? 75;
  const backtrack = options.commaPaddingBacktrack ?? 20;
  const lookup = buildLookup(tokenizer, options.embeddings ?? new Map());
  const eos = tokenizer.eosId;
  const comma = tokenizer.commaId;

  const chunks: PromptChunk[] = [];
  let tokens: number[] = [];
  let mults: number[] = [];
  let fixes: ChunkFix[] = [];
  let tokenCount = 0;
  let lastComma = -1;

  const nextChunk = (isLast = false): void => {
    tokenCount += isLast ? tokens.length : chunkLength;
    const length = tokens.length;
    while (tokens.length < chunkLength) {
      tokens.push(eos);
      mults.push(1.0);
    }
    chunks.push({ tokens, multipliers: mults, fixes, length });
    tokens = [];
    mults = [];
    fixes = [];
    lastComma = -1;
  };

  for (const [fragment, weight] of parsePromptAttention(text)) {
    if (fragment === 'BREAK' && weight === -1) {
      nextChunk();
      continue;
    }
    const ids = tokenizer.encode(fragment);
    let pos = 0;
    while (pos < ids.length) {
      const token = ids[pos]!;
      if (token === comma) lastComma = tokens.length;
      else if (backtrack !== 0 && tokens.length === chunkLength && lastComma !== -1 && tokens.length - lastComma <= backtrack) {
        // Full chunk and a comma nearby: move the words after the comma to the next chunk so a phrase is not cut.
        const at = lastComma + 1;
        const relocTokens = tokens.slice(at);
        const relocMults = mults.slice(at);
        tokens = tokens.slice(0, at);
        mults = mults.slice(0, at);
        nextChunk();
        tokens = relocTokens;
        mults = relocMults;
      }
      if (tokens.length === chunkLength) nextChunk();

      const emb = findEmbeddingAt(lookup, ids, pos);
      if (!emb) {
        tokens.push(token);
        mults.push(weight);
        pos++;
        continue;
      }
      if (tokens.length + emb.vectors > chunkLength) nextChunk();
      fixes.push({ offset: tokens.length, embedding: emb.name, vectors: emb.vectors });
      for (let i = 0; i < emb.vectors; i++) {
        tokens.push(0);
        mults.push(weight);
      }
      pos += emb.ids.length;
    }
  }
  if (tokens.length > 0 || chunks.length === 0) nextChunk(true);
  return { chunks, tokenCount };
}

/** An empty chunk (`[BOS] + [EOS]·76` once wrapped): pads the shorter of cond/uncond to the same chunk count. */
export function emptyChunk(tokenizer: ClipTokenizer, chunkLength = 75): PromptChunk {
  return { tokens: new Array<number>(chunkLength).fill(tokenizer.eosId), multipliers: new Array<number>(chunkLength).fill(1), fixes: [], length: 0 };
}

/** Pads `chunks` with empty chunks up to `count` (A1111 does this so a batch's conds share one length). */
export function padChunks(chunks: readonly PromptChunk[], count: number, tokenizer: ClipTokenizer): PromptChunk[] {
  const out = chunks.slice();
  while (out.length < count) out.push(emptyChunk(tokenizer, chunks[0]?.tokens.length ?? 75));
  return out;
}

/**
 * One chunk as the text encoder's input: `[BOS] + 75 + [EOS]` (77) and the matching multipliers. SD2
 * (open_clip) replaces everything after the first EOS with its pad id 0 (A1111's `process_tokens`).
 */
export function toModelInput(chunk: PromptChunk, tokenizer: ClipTokenizer, kind: TextEncoderKind): { ids: Int32Array; weights: Float32Array } {
  const n = chunk.tokens.length + 2;
  const ids = new Int32Array(n);
  const weights = new Float32Array(n);
  ids[0] = tokenizer.bosId;
  weights[0] = 1;
  for (let i = 0; i < chunk.tokens.length; i++) {
    ids[i + 1] = chunk.tokens[i]!;
    weights[i + 1] = chunk.multipliers[i]!;
  }
  ids[n - 1] = tokenizer.eosId;
  weights[n - 1] = 1;
  const pad = tokenizer.padIdFor(kind);
  if (pad !== tokenizer.eosId) {
    const firstEos = ids.indexOf(tokenizer.eosId);
    for (let i = firstEos + 1; i < n; i++) ids[i] = pad;
  }
  return { ids, weights };
}
