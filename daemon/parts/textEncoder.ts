import { readSafetensors } from '../../models/formats/safetensors';
import { readTensor } from '../../models/formats/tensorRecord';
import { f16BitsToF32 } from '../../models/graph/float16';
import type { ModelSession, TensorSpec } from '../../models/sessions';
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
  /**
   * 'penultimate': the raw hidden_states[-2] (no final LayerNorm), what SDXL conditions on with both encoders
   * (sgm FrozenCLIPEmbedder layer "hidden" idx 11, FrozenOpenCLIPEmbedder2 layer "penultimate", legacy=False).
   */
  layer?: 'default' | 'penultimate';
  /** Also return the pooled projection `text_embeds` (SDXL's CLIP-G). */
  pooled?: boolean;
}

export interface EncodedChunk {
  hidden: Float32Array;
  dim: number;
  pooled?: Float32Array;
}

/** Opens a model file as a session from the model's pool; `release` frees it again. */
export interface SessionSource {
  open(file: string): Promise<ModelSession>;
  release(file: string): Promise<void>;
}

interface Variant {
  session: ModelSession;
  ids?: { name: string; type: 'int32' | 'int64' };
  embeds?: { name: string; type: 'float32' | 'float16'; table: Float32Array | Uint16Array; dim: number; vocab: number };
  output: string;
  pooled?: string;
}

/**
 * CLIP text encoder: 77 token ids → hidden states [77, D] (and SDXL's pooled projection). Reads the export's id
 * type and batch shape. Textual inversion and CLIP skip run on variants derived from the same file by graph
 * surgery (cached on disk). `release()` frees the sessions (SDXL's encoders hold ~3 GB); the next encode opens
 * them again.
 */
export class TextEncoder {
  private readonly input: string;
  private readonly idType: 'int32' | 'int64';
  private readonly output: string;
  private readonly outputs: readonly TensorSpec[];
  private readonly fixedBatch: number | undefined;
  private readonly variants = new Map<string, Promise<Variant>>();
  private session: Promise<ModelSession> | undefined;

  constructor(
    first: ModelSession,
    private readonly source?: SessionSource,
  ) {
    const file = first.path;
    this.path = file;
    this.session = Promise.resolve(first);
    const inp = findSpec(first.inputs, ['input_ids', 'text_input', 'tokens'], file, 'token ids', 'input');
    if (inp.type !== 'int32' && inp.type !== 'int64') throw modelError(file, `"${inp.name}" has element type ${inp.type}`, 'int32 or int64 token ids');
    const len = fixedDim(inp, 1);
    if (len !== undefined && len !== CONTEXT_TOKENS) throw modelError(file, `"${inp.name}" takes ${len} tokens`, `${CONTEXT_TOKENS} tokens`);
    this.input = inp.name;
    this.idType = inp.type;
    this.fixedBatch = fixedDim(inp, 0);
    this.outputs = first.outputs;
    this.output = findSpec(first.outputs, ['last_hidden_state', 'text_embeddings', 'hidden_states'], file, 'hidden states', 'output').name;
  }

  readonly path: string;

  /** Encode one 77-token sequence; returns [77 × D] float32. */
  async encode(ids: Int32Array): Promise<{ hidden: Float32Array; dim: number }> {
    return this.encodeChunk(ids);
  }

  /** Frees the sessions (main and derived); the next encode opens them again from the same files. */
  async release(): Promise<void> {
    if (!this.source) return;
    const variants = [...this.variants.values()];
    this.variants.clear();
    this.session = undefined;
    await this.source.release(this.path);
    for (const v of variants) {
      const s = await v.catch(() => undefined);
      if (s) await this.source.release(s.session.path);
    }
  }

  private main(): Promise<ModelSession> {
    if (!this.session) {
      if (!this.source) throw new Error(`${this.path}: text encoder released and no way to open it again`);
      const s = this.source.open(this.path);
      this.session = s;
      s.catch(() => (this.session = undefined));
    }
    return this.session;
  }

  /** The output holding the wanted layer (named as the export names it). */
  private layerOutput(layer: ChunkEncodeOptions['layer']): string {
    if (layer !== 'penultimate') return this.output;
    const hidden = this.outputs.map((o) => /^hidden_states\.(\d+)$/.exec(o.name)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1]));
    if (hidden.length < 2) {
      throw modelError(this.path, `SDXL conditions on the raw hidden_states[-2], and this text encoder outputs no hidden_states.N (found ${this.outputs.map((o) => o.name).join(', ')})`, 'an Optimum SDXL export (outputs hidden_states.0 … hidden_states.N)');
    }
    return `hidden_states.${Math.max(...hidden) - 1}`;
  }

  private pooledOutput(): string {
    const spec = this.outputs.find((o) => o.name === 'text_embeds');
    if (!spec) throw modelError(this.path, `no pooled "text_embeds" output (found ${this.outputs.map((o) => o.name).join(', ')})`, "SDXL's second text encoder (CLIPTextModelWithProjection)");
    return spec.name;
  }

  /** One 77-token chunk with optional embedding overrides, CLIP skip, layer and pooled output; [77 × D] float32. */
  async encodeChunk(ids: Int32Array, opts: ChunkEncodeOptions = {}): Promise<EncodedChunk> {
    if (ids.length !== CONTEXT_TOKENS) throw new Error(`text encoder expects ${CONTEXT_TOKENS} ids, got ${ids.length}`);
    const clipSkip = opts.clipSkip && opts.clipSkip > 1 ? opts.clipSkip : 1;
    const overrides = opts.overrides ?? [];
    const layered = opts.layer === 'penultimate' || opts.pooled === true;
    const wanted = layered ? { output: this.layerOutput(opts.layer), pooled: opts.pooled ? this.pooledOutput() : undefined } : undefined;
    if (overrides.length === 0 && (clipSkip === 1 || layered)) {
      return this.runIds(await this.main(), this.input, this.idType, wanted?.output ?? this.output, ids, wanted?.pooled);
    }
    // Models converted here from checkpoints output every `clip_skip_N` already.
    const direct = this.outputs.find((o) => o.name === `clip_skip_${clipSkip}`);
    if (direct && overrides.length === 0) return this.runIds(await this.main(), this.input, this.idType, direct.name, ids);
    const v = await this.variant({ inputsEmbeds: overrides.length > 0, clipSkip: layered ? 1 : clipSkip, ...(wanted ? { outputs: [wanted.output, ...(wanted.pooled ? [wanted.pooled] : [])] } : {}) });
    if (!v.embeds) return this.runIds(v.session, v.ids!.name, v.ids!.type, v.output, ids, v.pooled);
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
    return this.read(v.session, v.output, await v.session.run(feeds, [v.output, ...(v.pooled ? [v.pooled] : [])]), v.pooled);
  }

  private idsTensor(ids: Int32Array, type: 'int32' | 'int64'): Parameters<ModelSession['run']>[0][string] {
    const batch = this.fixedBatch ?? 1;
    const all = new Int32Array(batch * CONTEXT_TOKENS);
    for (let b = 0; b < batch; b++) all.set(ids, b * CONTEXT_TOKENS);
    const data = type === 'int64' ? BigInt64Array.from(all, (x) => BigInt(x)) : all;
    return { type, data, dims: [batch, CONTEXT_TOKENS] };
  }

  private async runIds(session: ModelSession, input: string, type: 'int32' | 'int64', output: string, ids: Int32Array, pooled?: string): Promise<EncodedChunk> {
    return this.read(session, output, await session.run({ [input]: this.idsTensor(ids, type) }, [output, ...(pooled ? [pooled] : [])]), pooled);
  }

  private read(session: ModelSession, output: string, out: Awaited<ReturnType<ModelSession['run']>>, pooled?: string): EncodedChunk {
    const t = out[output]!;
    const hidden = toFloat32(t, session.path, output);
    const dim = t.dims[t.dims.length - 1]!;
    const r: EncodedChunk = { hidden: hidden.length === CONTEXT_TOKENS * dim ? hidden : hidden.slice(0, CONTEXT_TOKENS * dim), dim };
    if (pooled) {
      const p = out[pooled]!;
      const width = p.dims[p.dims.length - 1]!;
      r.pooled = toFloat32(p, session.path, pooled).slice(0, width);
    }
    return r;
  }

  /** The derived session for `opts` (surgery on first use, then from the disk cache). */
  private variant(opts: SurgeryOptions): Promise<Variant> {
    const key = `${opts.inputsEmbeds}|${opts.clipSkip}|${(opts.outputs ?? []).join(',')}`;
    let v = this.variants.get(key);
    if (!v) {
      v = this.loadVariant(opts);
      this.variants.set(key, v);
      v.catch(() => this.variants.delete(key));
    }
    return v;
  }

  private async loadVariant(opts: SurgeryOptions): Promise<Variant> {
    const file = this.path;
    const what = opts.inputsEmbeds ? 'textual-inversion embeddings' : `CLIP skip ${opts.clipSkip}`;
    if (!this.source) throw modelError(file, `${what} need a derived text encoder, and this one was loaded without a session pool`);
    let derived;
    try {
      derived = await deriveTextEncoder(file, opts);
    } catch (e) {
      if (e instanceof SurgeryError) throw modelError(file, e.message.slice(file.length + 2), `a stock diffusers/Optimum ONNX CLIP text encoder (for ${what})`);
      throw e;
    }
    const session = await this.source.open(derived.modelPath);
    const output = opts.outputs?.[0] ?? findSpec(session.outputs, [`clip_skip_${opts.clipSkip}`, 'last_hidden_state', 'text_embeddings', 'hidden_states'], derived.modelPath, 'hidden states', 'output').name;
    const idSpec = session.inputs.find((s) => s.type === 'int32' || s.type === 'int64');
    const v: Variant = { session, output, ids: idSpec ? { name: idSpec.name, type: idSpec.type as 'int32' | 'int64' } : undefined, ...(opts.outputs?.[1] ? { pooled: opts.outputs[1] } : {}) };
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
