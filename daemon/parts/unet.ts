import type { HostTensor, ModelSession, TensorSpec } from '../../models/sessions';
import { modelError } from '../errors';
import { findSpec, fixedDim, floatTensor, requireFloat, toFloat32 } from './modelTensors';
import { TOKEN_MERGING_INPUT } from '../../models/arch/tokenMerging';

/** Per-call options of graphs SD Studio builds. */
export interface UnetCallOptions {
  /** Token merging ratio for graphs built with token merging (0 = none). */
  tokenMergingRatio?: number;
}

/** SDXL's extra UNet inputs for `n` samples: pooled text n × P and the size numbers n × K (diffusers' time_ids). */
export interface AddedConditioning {
  textEmbeds: Float32Array;
  timeIds: Float32Array;
}

/**
 * The UNet as exported: `sample`, `timestep`, `encoder_hidden_states` → `out_sample`, plus `text_embeds` and
 * `time_ids` for SDXL (the diffusers/Optimum SDXL contract). Adapts to the export: timestep int64 / float32 /
 * float16, scalar / [1] / [batch]; batch fixed at 1 (one call per sample) or dynamic. Graphs built with token merging
 * take its ratio as a `token_merging_ratio` input.
 */
export class Unet {
  readonly inChannels: number | undefined;
  /** SDXL: the widths of text_embeds and time_ids (5 time_ids: the refiner, with the aesthetic score). */
  readonly added: { pooledDim: number; timeIds: number } | undefined;
  private readonly sample: TensorSpec;
  private readonly timestep: TensorSpec;
  private readonly context: TensorSpec;
  private readonly addedSpecs: { textEmbeds: TensorSpec; timeIds: TensorSpec } | undefined;
  private readonly output: string;
  private readonly floatType: 'float32' | 'float16';
  private readonly maxBatch: number | undefined;
  /** The graph merges tokens by a ratio input (built with token merging). */
  readonly mergesTokens: boolean;

  constructor(private readonly session: ModelSession) {
    const file = session.path;
    this.sample = findSpec(session.inputs, ['sample', 'latent', 'x', 'latent_model_input'], file, 'noisy latent', 'input');
    this.timestep = findSpec(session.inputs, ['timestep', 'timesteps', 't'], file, 'timestep', 'input');
    this.context = findSpec(session.inputs, ['encoder_hidden_states', 'text_embeddings', 'context'], file, 'text conditioning', 'input');
    this.output = findSpec(session.outputs, ['out_sample', 'noise_pred', 'latent', 'out'], file, 'noise prediction', 'output').name;
    this.floatType = requireFloat(this.sample, file);
    if (this.sample.shape.length !== 4) throw modelError(file, `"${this.sample.name}" has rank ${this.sample.shape.length}`, 'rank 4 [batch, channels, height, width]');
    if (this.context.shape.length !== 3) throw modelError(file, `"${this.context.name}" has rank ${this.context.shape.length}`, 'rank 3 [batch, tokens, width]');
    if (!['int64', 'int32', 'float32', 'float16'].includes(this.timestep.type)) throw modelError(file, `"${this.timestep.name}" has element type ${this.timestep.type}`, 'int64, float32 or float16');
    this.inChannels = fixedDim(this.sample, 1);
    this.maxBatch = fixedDim(this.sample, 0);
    const textEmbeds = session.inputs.find((s) => s.name === 'text_embeds');
    const timeIds = session.inputs.find((s) => s.name === 'time_ids');
    if (textEmbeds || timeIds) {
      if (!textEmbeds || !timeIds) throw modelError(file, `has ${textEmbeds ? 'text_embeds' : 'time_ids'} but not ${textEmbeds ? 'time_ids' : 'text_embeds'}`, 'both inputs of the diffusers SDXL UNet');
      const pooledDim = fixedDim(textEmbeds, 1);
      const ids = fixedDim(timeIds, 1);
      if (pooledDim === undefined || ids === undefined) throw modelError(file, '"text_embeds" / "time_ids" have no fixed width', 'text_embeds [batch, 1280] and time_ids [batch, 6 or 5]');
      this.added = { pooledDim, timeIds: ids };
      this.addedSpecs = { textEmbeds, timeIds };
    }
    this.mergesTokens = session.inputs.some((i) => i.name === TOKEN_MERGING_INPUT);
  }

  /** Width of the text conditioning the UNet takes, when the export fixes it. */
  get contextWidth(): number | undefined {
    return fixedDim(this.context, 2);
  }

  /** Tokens of the text conditioning when the export fixes them (often 77); undefined when dynamic. */
  get contextTokens(): number | undefined {
    return fixedDim(this.context, 1);
  }

  /**
   * A ModelError naming the file when the export's token dim is fixed and `tokens` differs: ONNX Runtime would
   * otherwise fail mid-sampling with a shape error. `what`: the text that needs them ("the prompt").
   */
  checkContextTokens(tokens: number, what = 'the prompt'): void {
    const fixed = this.contextTokens;
    if (fixed === undefined || tokens === fixed) return;
    const chunks = Math.ceil(tokens / 77);
    throw modelError(
      this.session.path,
      `this UNet export takes exactly ${fixed} tokens; ${what} needs ${tokens} (${chunks} chunk${chunks === 1 ? '' : 's'}) — shorten it or use a model exported with a dynamic sequence length`,
    );
  }

  /**
   * Predict for `n` samples at once (x: n×C×h×w scaled by c_in, ctx: n×tokens×D); `t` is the continuous
   * timestep k-diffusion gives (rounded for integer-timestep exports).
   */
  async predict(x: Float32Array, n: number, c: number, h: number, w: number, t: number, ctx: Float32Array, tokens: number, dim: number, added?: AddedConditioning, opts: UnetCallOptions = {}): Promise<Float32Array> {
    this.checkContextTokens(tokens);
    if (this.added && !added) throw modelError(this.session.path, 'this is an SDXL UNet and the conditioning has no pooled text / size embeddings', 'an SDXL model loaded as one');
    const per = this.maxBatch ?? n;
    if (per >= n) return this.run(x, n, c, h, w, t, ctx, tokens, dim, added, opts);
    const out = new Float32Array(x.length);
    const xs = c * h * w;
    const cs = tokens * dim;
    const a = this.added;
    for (let i = 0; i < n; i += per) {
      const k = Math.min(per, n - i);
      const part = added && a ? { textEmbeds: added.textEmbeds.subarray(i * a.pooledDim, (i + k) * a.pooledDim), timeIds: added.timeIds.subarray(i * a.timeIds, (i + k) * a.timeIds) } : undefined;
      out.set(await this.run(x.subarray(i * xs, (i + k) * xs), k, c, h, w, t, ctx.subarray(i * cs, (i + k) * cs), tokens, dim, part, opts), i * xs);
    }
    return out;
  }

  private timestepTensor(t: number, n: number): HostTensor {
    const rank = this.timestep.shape.length;
    const count = rank === 0 ? 1 : (fixedDim(this.timestep, 0) ?? n);
    const dims = rank === 0 ? [] : [count];
    switch (this.timestep.type) {
      case 'int64':
        return { type: 'int64', data: new BigInt64Array(count).fill(BigInt(Math.round(t))), dims };
      case 'int32':
        return { type: 'int32', data: new Int32Array(count).fill(Math.round(t)), dims };
      default:
        return floatTensor(new Float32Array(count).fill(t), dims, this.timestep.type);
    }
  }

  private async run(x: Float32Array, n: number, c: number, h: number, w: number, t: number, ctx: Float32Array, tokens: number, dim: number, added: AddedConditioning | undefined, opts: UnetCallOptions): Promise<Float32Array> {
    const feeds: Record<string, HostTensor> = {
      [this.sample.name]: floatTensor(x, [n, c, h, w], this.floatType),
      [this.timestep.name]: this.timestepTensor(t, n),
      [this.context.name]: floatTensor(ctx, [n, tokens, dim], requireFloat(this.context, this.session.path)),
    };
    const a = this.added;
    const specs = this.addedSpecs;
    if (a && specs && added) {
      if (added.textEmbeds.length !== n * a.pooledDim || added.timeIds.length !== n * a.timeIds) {
        throw modelError(this.session.path, `got ${added.textEmbeds.length / n} pooled values and ${added.timeIds.length / n} time_ids per sample`, `${a.pooledDim} and ${a.timeIds}`);
      }
      feeds[specs.textEmbeds.name] = floatTensor(added.textEmbeds, [n, a.pooledDim], requireFloat(specs.textEmbeds, this.session.path));
      feeds[specs.timeIds.name] = floatTensor(added.timeIds, [n, a.timeIds], requireFloat(specs.timeIds, this.session.path));
    }
    if (this.mergesTokens) feeds[TOKEN_MERGING_INPUT] = { type: 'float64', data: Float64Array.of(opts.tokenMergingRatio ?? 0), dims: [1] };
    const out = await this.session.run(feeds, [this.output]);
    return toFloat32(out[this.output]!, this.session.path, this.output);
  }
}
