// A1111's `modules/sd_hijack_clip.py: TextConditionalModel.forward` for one batch of texts: tokenize with emphasis,
// 75-token chunks (BREAK, comma backtrack, embedding slots), pad the batch to one chunk count with empty chunks,
// encode each chunk (embeddings injected, CLIP skip), apply "Original" emphasis over the whole batch per chunk,
// and concatenate the chunks along the token axis.
// SDXL runs the same per chunk through both of its encoders (A1111 sd_hijack: FrozenCLIPEmbedderForSDXLWithCustomWords
// and FrozenOpenCLIPEmbedder2WithCustomWords in sgm's GeneralConditioner): CLIP-L's and CLIP-G's raw
// hidden_states[-2], each with its own emphasis mean, concatenated per token [L | G] (2048 wide); CLIP-G's ids
// padded with 0 after the end token; embeddings from the `clip_l` / `clip_g` halves of SDXL embedding files; the
// pooled CLIP-G projection of each text's FIRST chunk (`zs[0].pooled`). CLIP skip does not apply to SDXL
// (A1111's `sdxl_clip_l_skip` is off by default).
import type { EmbeddingDatabase, EmbeddingTerm } from '../../modelFiles/embeddings';
import { invalidParam, throwIfAborted } from '../../errors';
import type { SdModel } from '../../parts/sdModel';
import { CONTEXT_TOKENS, type EmbeddingOverride, type EncodedChunk, type TextEncoder } from '../../parts/textEncoder';
import type { ClipTextTrainer } from '../../parts/clipTextTrainer';
import { applyAesthetic, type AestheticSettings } from './aesthetic';
import { AttentionWeightError, applyEmphasisOriginal, emptyChunk, tokenizeChunks, toModelInput, type PromptChunk, type TextEncoderKind, type TokenizedPrompt } from '../../prompt';

/** Text conditioning for the UNet: `tokens` × `dim` hidden states (tokens = 77 · chunks). */
export interface Conditioning {
  hidden: Float32Array;
  tokens: number;
  dim: number;
  /** SDXL: CLIP-G's pooled projection of the text's first chunk (zeros for an empty negative prompt). */
  pooled?: Float32Array;
  /** SDXL: the size numbers it goes with (diffusers time_ids: 6 for the base, 5 with the aesthetic score for the refiner). */
  timeIds?: Float32Array;
}

export interface ConditionerOptions {
  /** A1111 `CLIP_stop_at_last_layers`; SD1 only (ignored for SD2's OpenCLIP and for SDXL, as A1111 does). */
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

/** One text encoder of the model and how its chunks are made and read. */
interface EncoderSlot {
  encoder: TextEncoder;
  /** Padding after the end token: 'sd1' pads with EOS, 'sd2' with id 0 (open_clip). */
  kind: TextEncoderKind;
  layer: 'default' | 'penultimate';
  pooled: boolean;
  clipSkip: number;
  /** Which half of an SDXL embedding file feeds this encoder. */
  term?: EmbeddingTerm;
  width: number;
}

function slotsOf(model: SdModel, clipSkip: number): EncoderSlot[] {
  const common = { layer: 'penultimate' as const, clipSkip: 1, width: 0 };
  switch (model.kind) {
    case 'sdxl':
      return [
        { ...common, encoder: model.textEncoder, kind: 'sd1', pooled: false, term: 'clip_l' },
        { ...common, encoder: model.textEncoder2!, kind: 'sd2', pooled: true, term: 'clip_g' },
      ];
    case 'sdxl-refiner':
      return [{ ...common, encoder: model.textEncoder, kind: 'sd2', pooled: true, term: 'clip_g' }];
    default: {
      const kind: TextEncoderKind = model.padId !== model.tokenizer.eosId ? 'sd2' : 'sd1';
      return [{ encoder: model.textEncoder, kind, layer: 'default', pooled: false, clipSkip: kind === 'sd1' ? Math.max(1, clipSkip) : 1, width: 0 }];
    }
  }
}

/** Encodes texts for one model and job; every distinct chunk goes through the text encoder(s) once. */
export class TextConditioner {
  /** The first encoder's padding kind (the inspector's token view). */
  readonly kind: TextEncoderKind;
  readonly clipSkip: number;
  private readonly slots: EncoderSlot[];
  private readonly raw = new Map<string, Promise<EncodedChunk>>();
  private counts: ReadonlyMap<string, number> = new Map();
  private width = 0;

  constructor(
    private readonly model: SdModel,
    private readonly opts: ConditionerOptions = {},
  ) {
    this.slots = slotsOf(model, opts.clipSkip ?? 1);
    this.kind = this.slots[0]!.kind;
    this.clipSkip = this.slots[0]!.clipSkip;
  }

  /** Learns the encoders' widths (one run of the empty chunk each, reused later) and the embeddings that fit. */
  async init(): Promise<void> {
    if (this.width) return;
    const empty = emptyChunk(this.model.tokenizer);
    for (let s = 0; s < this.slots.length; s++) this.slots[s]!.width = (await this.encodeRaw(empty, s)).dim;
    // A1111's expected embedding shape is the sum of the encoders' widths (SDXL 768 + 1280 = 2048).
    this.width = this.slots.reduce((a, s) => a + s.width, 0);
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

  /** One chunk through encoder `slot`, before emphasis: [77 × D]. Cached by ids, embeddings and CLIP skip. */
  encodeRaw(chunk: PromptChunk, slot = 0): Promise<EncodedChunk> {
    const s = this.slots[slot]!;
    const { ids } = toModelInput(chunk, this.model.tokenizer, s.kind);
    const key = `${slot}|${ids.join(',')}|${chunk.fixes.map((f) => `${f.offset}:${f.embedding}`).join(',')}|${s.clipSkip}`;
    let r = this.raw.get(key);
    if (!r) {
      r = this.runChunk(ids, chunk, s);
      this.raw.set(key, r);
      r.catch(() => this.raw.delete(key));
    }
    return r;
  }

  private async runChunk(ids: Int32Array, chunk: PromptChunk, s: EncoderSlot): Promise<EncodedChunk> {
    throwIfAborted(this.opts.signal);
    const overrides: EmbeddingOverride[] = [];
    for (const f of chunk.fixes) {
      // chunk offsets count within the 75; the model's row is one later (BOS)
      overrides.push({ row: f.offset + 1, vectors: await this.opts.embeddings!.vectors(f.embedding, this.width, s.term) });
    }
    return s.encoder.encodeChunk(ids, { clipSkip: s.clipSkip, overrides, layer: s.layer, pooled: s.pooled });
  }

  /**
   * `forward(texts)`: one conditioning per text, all with the same chunk count (shorter texts get empty
   * chunks); emphasis means are taken over the whole batch of each chunk and encoder, as A1111 does.
   */
  async encodeGroup(texts: readonly string[], field = 'prompt', withAesthetic = true): Promise<GroupResult> {
    await this.init();
    const aesthetic = withAesthetic ? this.opts.aesthetic : undefined;
    if (aesthetic && (this.model.kind !== 'sd' || this.kind !== 'sd1')) throw invalidParam('aesthetic', "aesthetic embeddings need an SD 1.x model (the extension tunes CLIP ViT-L/14's text model)");
    const tokenized = texts.map((t) => this.tokenize(t, field));
    const count = Math.max(...tokenized.map((t) => t.chunks.length));
    const dim = this.width;
    const per = CONTEXT_TOKENS * dim;
    const conds: Conditioning[] = texts.map(() => ({ hidden: new Float32Array(count * per), tokens: count * CONTEXT_TOKENS, dim }));
    const used: string[] = [];
    for (let i = 0; i < count; i++) {
      const batch = tokenized.map((t) => t.chunks[i] ?? emptyChunk(this.model.tokenizer));
      for (const c of batch) for (const f of c.fixes) if (!used.includes(f.embedding)) used.push(f.embedding);
      let offset = 0;
      for (let s = 0; s < this.slots.length; s++) {
        const slot = this.slots[s]!;
        const sw = slot.width;
        const sPer = CONTEXT_TOKENS * sw;
        const raws = await Promise.all(batch.map((c) => this.encodeRaw(c, s)));
        const stacked = new Float32Array(batch.length * sPer);
        const weights = new Float32Array(batch.length * CONTEXT_TOKENS);
        let plain = true;
        batch.forEach((c, b) => {
          if (raws[b]!.dim !== sw) throw new Error(`text encoder width changed from ${sw} to ${raws[b]!.dim}`);
          stacked.set(raws[b]!.hidden, b * sPer);
          const w = toModelInput(c, this.model.tokenizer, slot.kind).weights;
          weights.set(w, b * CONTEXT_TOKENS);
          if (w.some((x) => x !== 1)) plain = false;
        });
        if (!plain) applyEmphasisOriginal(stacked, weights, sw);
        // Aesthetic embeddings are SD 1.x only (refused above): one slot, as wide as the conditioning.
        const z = aesthetic
          ? await applyAesthetic(stacked, batch.map((c) => toModelInput(c, this.model.tokenizer, slot.kind).ids), aesthetic.settings, aesthetic.trainer, this.model.tokenizer, { clipSkip: slot.clipSkip, signal: this.opts.signal, onStep: aesthetic.onStep })
          : stacked;
        batch.forEach((_, b) => {
          const target = conds[b]!.hidden;
          for (let t = 0; t < CONTEXT_TOKENS; t++) target.set(z.subarray(b * sPer + t * sw, b * sPer + (t + 1) * sw), i * per + t * dim + offset);
          if (i === 0 && slot.pooled) conds[b]!.pooled = raws[b]!.pooled!.slice();
        });
        offset += sw;
      }
    }
    return { conds, used };
  }
}
