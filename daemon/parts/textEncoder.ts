import { readSafetensors } from '../../models/formats/safetensors';
import { readTensor } from '../../models/formats/tensorRecord';
import { f16BitsToF32 } from '../../models/graph/float16';
import type { ModelSession } from '../../models/sessions';
import { deriveTextEncoder, INPUTS_EMBEDS, SurgeryError, type SurgeryOptions } from '../../models/textEncoderSurgery';
import { modelError } from '../errors';
import { findSpec, fixedDim, floatTensor, requireFloat, toFloat32 } from './modelTensors';

export const CONTEXT_TOKENS = 77;

/** Rows of the 77 whose token embedding is replaced (textual inversion): `vectors` is V × D, rows row … row+V−1. */
export interface EmbeddingOverride {
  row: number;
  vectors: Float32Array;
}

export interface ChunkEncodeOptions {
  /** A1111 `CLIP_stop_at_last_layers`: 1 = last layer; N ≥ 2 = final LayerNorm of hidden_states[-N]. */
  clipSkip?: number;
  overrides?: readonly EmbeddingOverride[];
}

/** Opens a derived model file as a session (from the model's session pool, so it is disposed with it). */
export type OpenSession = (file: string) => Promise<ModelSession>;

interface Variant {
  session: ModelSession;
  ids?: { name: string; type: 'int32' | 'int64' };
  embeds?: { name: string; type: 'float32' | 'float16'; table: Float32Array | Uint16Array; dim: number; vocab: number };
  output: string;
}

/**
 * CLIP text encoder: 77 token ids → hidden states [77, D]. Reads the export's id type and batch shape. Textual
 * inversion and CLIP skip run on variants derived from the same file by graph surgery (cached on disk).
 */
export class TextEncoder {
  private readonly input: string;
  private readonly idType: 'int32' | 'int64';
  private readonly output: string;
  private readonly fixedBatch: number | undefined;
  private readonly variants = new Map<string, Promise<Variant>>();

  constructor(
    private readonly session: ModelSession,
    private readonly open?: OpenSession,
  ) {
    const file = session.path;
    const inp = findSpec(session.inputs, ['input_ids', 'text_input', 'tokens'], file, 'token ids', 'input');
    if (inp.type !== 'int32' && inp.type !== 'int64') throw modelError(file, `"${inp.name}" has element type ${inp.type}`, 'int32 or int64 token ids');
    const len = fixedDim(inp, 1);
    if (len !== undefined && len !== CONTEXT_TOKENS) throw modelError(file, `"${inp.name}" takes ${len} tokens`, `${CONTEXT_TOKENS} tokens`);
    this.input = inp.name;
    this.idType = inp.type;
    this.fixedBatch = fixedDim(inp, 0);
    this.output = findSpec(session.outputs, ['last_hidden_state', 'text_embeddings', 'hidden_states'], file, 'hidden states', 'output').name;
  }

  get path(): string {
    return this.session.path;
  }

  /** Encode one 77-token sequence; returns [77 × D] float32. */
  async encode(ids: Int32Array): Promise<{ hidden: Float32Array; dim: number }> {
    return this.encodeChunk(ids);
  }

  /** One 77-token chunk with optional embedding overrides and CLIP skip; [77 × D] float32. */
  async encodeChunk(ids: Int32Array, opts: ChunkEncodeOptions = {}): Promise<{ hidden: Float32Array; dim: number }> {
    if (ids.length !== CONTEXT_TOKENS) throw new Error(`text encoder expects ${CONTEXT_TOKENS} ids, got ${ids.length}`);
    const clipSkip = opts.clipSkip && opts.clipSkip > 1 ? opts.clipSkip : 1;
    const overrides = opts.overrides ?? [];
    if (clipSkip === 1 && overrides.length === 0) return this.runIds(this.session, this.input, this.idType, this.output, ids);
    // Models converted here from checkpoints output every `clip_skip_N` already.
    const direct = this.session.outputs.find((o) => o.name === `clip_skip_${clipSkip}`);
    if (direct && overrides.length === 0) return this.runIds(this.session, this.input, this.idType, direct.name, ids);
    const v = await this.variant({ inputsEmbeds: overrides.length > 0, clipSkip });
    if (!v.embeds) return this.runIds(v.session, v.ids!.name, v.ids!.type, v.output, ids);
    const { dim, table, vocab } = v.embeds;
    const embeds = new Float32Array(CONTEXT_TOKENS * dim);
    for (let i = 0; i < CONTEXT_TOKENS; i++) {
      const id = ids[i]!;
      if (id < 0 || id >= vocab) throw new Error(`token id ${id} is outside the text encoder's vocabulary (${vocab})`);
      const row = table.subarray(id * dim, (id + 1) * dim);
      embeds.set(row instanceof Float32Array ? row : f16BitsToF32(row), i * dim);
    }
    for (const o of overrides) {
      if (o.vectors.length % dim !== 0) throw new Error(`an embedding of width ${o.vectors.length} does not fit the text encoder's width ${dim}`);
      const rows = Math.min(o.vectors.length / dim, CONTEXT_TOKENS - o.row - 1); // A1111 EmbeddingsWithFixes: emb_len
      embeds.set(o.vectors.subarray(0, rows * dim), o.row * dim);
    }
    const batch = this.fixedBatch ?? 1;
    const data = new Float32Array(batch * CONTEXT_TOKENS * dim);
    for (let b = 0; b < batch; b++) data.set(embeds, b * embeds.length);
    const feeds: Parameters<ModelSession['run']>[0] = { [v.embeds.name]: floatTensor(data, [batch, CONTEXT_TOKENS, dim], v.embeds.type) };
    if (v.ids) feeds[v.ids.name] = this.idsTensor(ids, v.ids.type);
    return this.read(v.session, v.output, await v.session.run(feeds, [v.output]));
  }

  private idsTensor(ids: Int32Array, type: 'int32' | 'int64'): Parameters<ModelSession['run']>[0][string] {
    const batch = this.fixedBatch ?? 1;
    const all = new Int32Array(batch * CONTEXT_TOKENS);
    for (let b = 0; b < batch; b++) all.set(ids, b * CONTEXT_TOKENS);
    const data = type === 'int64' ? BigInt64Array.from(all, (x) => BigInt(x)) : all;
    return { type, data, dims: [batch, CONTEXT_TOKENS] };
  }

  private async runIds(session: ModelSession, input: string, type: 'int32' | 'int64', output: string, ids: Int32Array): Promise<{ hidden: Float32Array; dim: number }> {
    return this.read(session, output, await session.run({ [input]: this.idsTensor(ids, type) }, [output]));
  }

  private read(session: ModelSession, output: string, out: Awaited<ReturnType<ModelSession['run']>>): { hidden: Float32Array; dim: number } {
    const t = out[output]!;
    const hidden = toFloat32(t, session.path, output);
    const dim = t.dims[t.dims.length - 1]!;
    return { hidden: hidden.length === CONTEXT_TOKENS * dim ? hidden : hidden.slice(0, CONTEXT_TOKENS * dim), dim };
  }

  /** The derived session for `opts` (surgery on first use, then from the disk cache). */
  private variant(opts: SurgeryOptions): Promise<Variant> {
    const key = `${opts.inputsEmbeds}|${opts.clipSkip}`;
    let v = this.variants.get(key);
    if (!v) {
      v = this.loadVariant(opts);
      this.variants.set(key, v);
      v.catch(() => this.variants.delete(key));
    }
    return v;
  }

  private async loadVariant(opts: SurgeryOptions): Promise<Variant> {
    const file = this.session.path;
    const what = opts.inputsEmbeds ? 'textual-inversion embeddings' : `CLIP skip ${opts.clipSkip}`;
    if (!this.open) throw modelError(file, `${what} need a derived text encoder, and this one was loaded without a session pool`);
    let derived;
    try {
      derived = await deriveTextEncoder(file, opts);
    } catch (e) {
      if (e instanceof SurgeryError) throw modelError(file, e.message.slice(file.length + 2), `a stock diffusers/Optimum ONNX CLIP text encoder (for ${what})`);
      throw e;
    }
    const session = await this.open(derived.modelPath);
    const output = findSpec(session.outputs, [`clip_skip_${opts.clipSkip}`, 'last_hidden_state', 'text_embeddings', 'hidden_states'], derived.modelPath, 'hidden states', 'output').name;
    const idSpec = session.inputs.find((s) => s.type === 'int32' || s.type === 'int64');
    const v: Variant = { session, output, ids: idSpec ? { name: idSpec.name, type: idSpec.type as 'int32' | 'int64' } : undefined };
    if (opts.inputsEmbeds) {
      const spec = findSpec(session.inputs, [INPUTS_EMBEDS], derived.modelPath, 'token embeddings', 'input');
      const st = await readSafetensors(derived.tokenEmbeddingPath!);
      const rec = st.tensors.find((t) => t.name === 'token_embedding');
      if (!rec || rec.shape.length !== 2) throw modelError(derived.tokenEmbeddingPath!, 'no token_embedding [vocab, D] tensor', 'the table cut out by the surgery');
      const table = (await readTensor(rec, rec.dtype === 'F16' ? 'F16' : 'F32')) as Float32Array | Uint16Array;
      v.embeds = { name: spec.name, type: requireFloat(spec, derived.modelPath), table, vocab: rec.shape[0]!, dim: rec.shape[1]! };
    }
    return v;
  }
}
