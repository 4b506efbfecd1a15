// A1111's `TextConditionalModel.forward` for one batch of texts (reference §9.3): tokenize with emphasis,
// 75-token chunks (BREAK, comma backtrack, embedding slots), pad the batch to one chunk count with empty chunks,
// encode each chunk (embeddings injected, CLIP skip), apply "Original" emphasis over the whole batch per chunk,
// and concatenate the chunks along the token axis.
import type { EmbeddingDatabase } from '../../modelFiles/embeddings';
import { invalidParam, throwIfAborted } from '../../errors';
import type { SdModel } from '../../parts/sdModel';
import { CONTEXT_TOKENS, type EmbeddingOverride } from '../../parts/textEncoder';
import type { ClipTextTrainer } from '../../parts/clipTextTrainer';
import { applyAesthetic, type AestheticSettings } from './aesthetic';
import { AttentionWeightError, applyEmphasisOriginal, emptyChunk, tokenizeChunks, toModelInput, type PromptChunk, type TextEncoderKind, type TokenizedPrompt } from '../../prompt';

/** Text conditioning for the UNet: `tokens` × `dim` hidden states (tokens = 77 · chunks). */
export interface Conditioning {
  hidden: Float32Array;
  tokens: number;
  dim: number;
}

export interface ConditionerOptions {
  /** A1111 `CLIP_stop_at_last_layers`; ignored for SD2 (OpenCLIP), as A1111 does. */
  clipSkip?: number;
  embeddings?: EmbeddingDatabase | null;
  signal?: AbortSignal;
  /** The aesthetic-gradients extension: applied to every chunk batch after emphasis (SD 1.x). */
  aesthetic?: ChunkAesthetic;
}

export interface ChunkAesthetic {
  settings: AestheticSettings;
  trainer: ClipTextTrainer;
  onStep?: (step: number, steps: number) => void;
}

export interface GroupResult {
  conds: Conditioning[];
  /** Embedding names used, in A1111's `used_embeddings` order (chunk by chunk, text by text). */
  used: string[];
}

/** Encodes texts for one model and job; every distinct chunk goes through the text encoder once. */
export class TextConditioner {
  readonly kind: TextEncoderKind;
  readonly clipSkip: number;
  private readonly raw = new Map<string, Promise<{ hidden: Float32Array; dim: number }>>();
  private counts: ReadonlyMap<string, number> = new Map();
  private width = 0;

  constructor(
    private readonly model: SdModel,
    private readonly opts: ConditionerOptions = {},
  ) {
    this.kind = model.padId !== model.tokenizer.eosId ? 'sd2' : 'sd1';
    this.clipSkip = this.kind === 'sd1' ? Math.max(1, opts.clipSkip ?? 1) : 1;
  }

  /** Learns the encoder's width (one run of the empty chunk, reused later) and the embeddings that fit it. */
  async init(): Promise<void> {
    if (this.width) return;
    const empty = await this.encodeRaw(emptyChunk(this.model.tokenizer));
    this.width = empty.dim;
    if (this.opts.embeddings) this.counts = await this.opts.embeddings.vectorCounts(this.width);
  }

  get dim(): number {
    return this.width;
  }

  /** Embedding name → vector count, for the inspector and the chunker. */
  get embeddingCounts(): ReadonlyMap<string, number> {
    return this.counts;
  }

  /** `field`: the request field the text came from, for the error A1111 would stop with. */
  tokenize(text: string, field = 'prompt'): TokenizedPrompt {
    try {
      return tokenizeChunks(text, this.model.tokenizer, { embeddings: this.counts });
    } catch (e) {
      if (e instanceof AttentionWeightError) throw invalidParam(field, e.message);
      throw e;
    }
  }

  /** One chunk through the text encoder, before emphasis: [77 × D]. Cached by ids, embeddings and CLIP skip. */
  encodeRaw(chunk: PromptChunk): Promise<{ hidden: Float32Array; dim: number }> {
    const { ids } = toModelInput(chunk, this.model.tokenizer, this.kind);
    const key = `${ids.join(',')}|${chunk.fixes.map((f) => `${f.offset}:${f.embedding}`).join(',')}|${this.clipSkip}`;
    let r = this.raw.get(key);
    if (!r) {
      r = this.runChunk(ids, chunk);
      this.raw.set(key, r);
      r.catch(() => this.raw.delete(key));
    }
    return r;
  }

  private async runChunk(ids: Int32Array, chunk: PromptChunk): Promise<{ hidden: Float32Array; dim: number }> {
    throwIfAborted(this.opts.signal);
    const overrides: EmbeddingOverride[] = [];
    for (const f of chunk.fixes) {
      // chunk offsets count within the 75; the model's row is one later (BOS)
      overrides.push({ row: f.offset + 1, vectors: await this.opts.embeddings!.vectors(f.embedding, this.width) });
    }
    return this.model.textEncoder.encodeChunk(ids, { clipSkip: this.clipSkip, overrides });
  }

  /**
   * `forward(texts)`: one conditioning per text, all with the same chunk count (shorter texts get empty
   * chunks); emphasis means are taken over the whole batch of each chunk, as A1111 does.
   */
  async encodeGroup(texts: readonly string[], field = 'prompt', withAesthetic = true): Promise<GroupResult> {
    await this.init();
    const aesthetic = withAesthetic ? this.opts.aesthetic : undefined;
    if (aesthetic && this.kind !== 'sd1') throw invalidParam('aesthetic', "aesthetic embeddings need an SD 1.x model (the extension tunes CLIP ViT-L/14's text model)");
    const tokenized = texts.map((t) => this.tokenize(t, field));
    const count = Math.max(...tokenized.map((t) => t.chunks.length));
    const dim = this.width;
    const per = CONTEXT_TOKENS * dim;
    const conds = texts.map(() => ({ hidden: new Float32Array(count * per), tokens: count * CONTEXT_TOKENS, dim }));
    const used: string[] = [];
    for (let i = 0; i < count; i++) {
      const batch = tokenized.map((t) => t.chunks[i] ?? emptyChunk(this.model.tokenizer));
      for (const c of batch) for (const f of c.fixes) if (!used.includes(f.embedding)) used.push(f.embedding);
      const raws = await Promise.all(batch.map((c) => this.encodeRaw(c)));
      const stacked = new Float32Array(batch.length * per);
      const weights = new Float32Array(batch.length * CONTEXT_TOKENS);
      let plain = true;
      batch.forEach((c, b) => {
        if (raws[b]!.dim !== dim) throw new Error(`text encoder width changed from ${dim} to ${raws[b]!.dim}`);
        stacked.set(raws[b]!.hidden, b * per);
        const w = toModelInput(c, this.model.tokenizer, this.kind).weights;
        weights.set(w, b * CONTEXT_TOKENS);
        if (w.some((x) => x !== 1)) plain = false;
      });
      if (!plain) applyEmphasisOriginal(stacked, weights, dim);
      const z = aesthetic
        ? await applyAesthetic(stacked, batch.map((c) => toModelInput(c, this.model.tokenizer, this.kind).ids), aesthetic.settings, aesthetic.trainer, this.model.tokenizer, { clipSkip: this.clipSkip, signal: this.opts.signal, onStep: aesthetic.onStep })
        : stacked;
      batch.forEach((_, b) => conds[b]!.hidden.set(z.subarray(b * per, (b + 1) * per), i * per));
    }
    return { conds, used };
  }
}
