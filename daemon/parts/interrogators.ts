// The interrogation networks as sessions that take and give typed arrays (preprocessing, search and formatting
// live in daemon/interrogate/): CLIP's image and text towers, BLIP's encoder and decoder step, and the taggers
// (DeepDanbooru built from A1111's .pt, or a WD14 tagger ONNX export).
import type { BlipInfo } from '../../models/arch/blip';
import type { HostTensor, ModelSession } from '../../models/sessions';
import { modelError } from '../errors';

const f32 = (data: Float32Array, dims: number[]): HostTensor => ({ type: 'float32', data, dims });

/** CLIP image tower: [3, S, S] pixels (clip._transform) → image_embeds (not normalised). */
export class ClipVisionPart {
  constructor(
    private readonly session: ModelSession,
    readonly size: number,
    readonly embedDim: number,
  ) {}

  async embed(pixels: Float32Array): Promise<Float32Array> {
    const out = await this.session.run({ image: f32(pixels, [1, 3, this.size, this.size]) }, ['image_embeds']);
    return out.image_embeds!.data as Float32Array;
  }
}

/** CLIP text tower + projection: rows of ids (each ending at its end-of-text token) → [B × E] (not normalised). */
export class ClipTextPart {
  constructor(
    private readonly session: ModelSession,
    readonly context: number,
    readonly embedDim: number,
  ) {}

  /** `rows` may differ in length: they are padded with 0 to the longest (the causal mask makes padding inert). */
  async embed(rows: readonly number[][]): Promise<Float32Array> {
    const T = Math.max(...rows.map((r) => r.length));
    const ids = new BigInt64Array(rows.length * T);
    const eot = new BigInt64Array(rows.length);
    rows.forEach((r, b) => {
      r.forEach((id, t) => (ids[b * T + t] = BigInt(id)));
      eot[b] = BigInt(r.length - 1);
    });
    const out = await this.session.run({ input_ids: { type: 'int64', data: ids, dims: [rows.length, T] }, eot_index: { type: 'int64', data: eot, dims: [rows.length] } }, ['text_embeds']);
    return out.text_embeds!.data as Float32Array;
  }
}

/** The image side of one caption: each decoder layer's cross-attention keys and values. */
export type BlipImageState = Record<string, HostTensor>;

export class BlipPart {
  constructor(
    private readonly encoder: ModelSession,
    private readonly decoder: ModelSession,
    readonly info: BlipInfo,
  ) {}

  async encode(pixels: Float32Array): Promise<BlipImageState> {
    const out = await this.encoder.run({ image: f32(pixels, [1, 3, this.info.size, this.info.size]) });
    const state: BlipImageState = {};
    for (let i = 0; i < this.info.layers; i++) for (const kv of ['k', 'v']) state[`cross_${kv}_${i}`] = out[`cross_${kv}_${i}`]!;
    return state;
  }

  /** Next-token logits [B × vocab] for B sequences of the same length. */
  async next(state: BlipImageState, seqs: readonly number[][]): Promise<Float32Array> {
    const T = seqs[0]!.length;
    const ids = BigInt64Array.from(seqs.flat(), (x) => BigInt(x));
    const out = await this.decoder.run({ input_ids: { type: 'int64', data: ids, dims: [seqs.length, T] }, ...state }, ['logits']);
    return out.logits!.data as Float32Array;
  }
}

/** A multi-label tagger: one score per tag. */
export class TaggerPart {
  private constructor(
    private readonly session: ModelSession,
    private readonly inputName: string,
    private readonly outputName: string,
    /** 'nchw': [1, 3, H, W]; 'nhwc': [1, H, W, 3] (WD14). */
    readonly layout: 'nchw' | 'nhwc',
    /** Square input side (DeepDanbooru 512, WD14 448). */
    readonly size: number,
    readonly tags: readonly string[],
  ) {}

  static open(session: ModelSession, tags: readonly string[], kind: 'deepdanbooru' | 'wd14'): TaggerPart {
    const input = session.inputs[0];
    const output = kind === 'deepdanbooru' ? session.outputs.find((o) => o.name === 'scores') : session.outputs[0];
    if (!input || !output || input.shape.length !== 4) throw modelError(session.path, `not an image tagger (inputs: ${session.inputs.map((i) => i.name).join(', ')})`, 'one [1, H, W, 3] or [1, 3, H, W] image input');
    const nhwc = kind === 'wd14';
    const side = input.shape[nhwc ? 1 : 2];
    return new TaggerPart(session, input.name, output.name, nhwc ? 'nhwc' : 'nchw', typeof side === 'number' && side > 0 ? side : kind === 'wd14' ? 448 : 512, tags);
  }

  async scores(input: Float32Array): Promise<Float32Array> {
    const dims = this.layout === 'nhwc' ? [1, this.size, this.size, 3] : [1, 3, this.size, this.size];
    const out = await this.session.run({ [this.inputName]: f32(input, dims) }, [this.outputName]);
    const s = out[this.outputName]!.data as Float32Array;
    if (s.length !== this.tags.length) throw modelError(this.session.path, `gives ${s.length} scores for ${this.tags.length} tags`);
    return s;
  }
}
