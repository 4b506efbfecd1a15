// The text half of A1111's aesthetic-gradients model (a Hugging Face CLIPModel's text_model + text_projection):
// projected text features, `steps` Adam steps on a fresh copy of the text tower maximising the cosine similarity
// of the prompt's features with a target embedding, and the tuned tower's hidden states. One ONNX session runs
// the forward + backward graph (models/arch/clip/textTraining.ts) with every weight fed as an input; the weights
// live here as Float32Arrays (models/arch/clip/textWeights.ts) and Adam updates them between runs.
import { cloneTextWeights, type ClipTextWeights } from '../../models/arch/clip/textWeights';
import { paramShape, trainableNames } from '../../models/arch/clip/textTraining';
import type { HostTensor, ModelSession } from '../../models/sessions';
import { throwIfAborted } from '../errors';
import { Adam } from './adam';

export interface TuneOptions {
  steps: number;
  lr: number;
  signal?: AbortSignal;
  /** After each step: its number (1-based) and the loss before the update. */
  onStep?: (step: number, loss: number) => void;
}

export interface TunedText {
  weights: ClipTextWeights;
  /** The loss at each step, before its update. */
  losses: number[];
}

const f32 = (data: Float32Array, dims: number[]): HostTensor => ({ type: 'float32', data, dims });

export class ClipTextTrainer {
  constructor(
    private readonly session: ModelSession,
    readonly base: ClipTextWeights,
  ) {}

  get width(): number {
    return this.base.shape.width;
  }

  get tokens(): number {
    return this.base.shape.tokens;
  }

  /** One row of ids per text, each `tokens` long; the end token is the first occurrence of the largest id (argmax). */
  private feeds(w: ClipTextWeights, ids: readonly Int32Array[], target?: Float32Array): Record<string, HostTensor> {
    const { width: W, tokens: T, embedDim: E } = w.shape;
    const B = ids.length;
    const tok = new Float32Array(B * T * W);
    const onehot = new Float32Array(B * T);
    ids.forEach((row, b) => {
      if (row.length !== T) throw new Error(`aesthetic text model: expected ${T} token ids, got ${row.length}`);
      let eot = 0;
      for (let t = 0; t < T; t++) {
        const id = row[t]!;
        if (id < 0 || id >= w.vocab) throw new Error(`token id ${id} is outside the CLIP vocabulary (${w.vocab})`);
        tok.set(w.tok.subarray(id * W, (id + 1) * W), (b * T + t) * W);
        if (id > row[eot]!) eot = t;
      }
      onehot[b * T + eot] = 1;
    });
    const feeds: Record<string, HostTensor> = {
      tok: f32(tok, [B, T, W]), eot_onehot: f32(onehot, [B, T]), target: f32(target ?? new Float32Array(E), [1, E]), proj: f32(w.proj, [E, W]),
    };
    for (const n of trainableNames(w.shape.layers)) {
      feeds[n] = f32(w.params.get(n)!, paramShape(n, w.shape));
    }
    return feeds;
  }

  /** `get_text_features` of each row with the untuned weights: [B × E]. */
  async features(ids: readonly Int32Array[]): Promise<Float32Array> {
    const out = await this.session.run(this.feeds(this.base, ids), ['features']);
    return out.features!.data as Float32Array;
  }

  /** A fresh copy of the tower, tuned for `steps` Adam steps towards `target` (length E, used as given). */
  async tune(ids: readonly Int32Array[], target: Float32Array, o: TuneOptions): Promise<TunedText> {
    const w = cloneTextWeights(this.base);
    const { width: W, tokens: T } = w.shape;
    const adam = new Adam(o.lr);
    const names = trainableNames(w.shape.layers);
    const outputs = ['loss', 'grad_tok', ...names.map((n) => `grad_${n}`)];
    // The token rows the prompt uses, as one parameter ("tok rows") so Adam keeps moments only for them.
    const used = [...new Set(ids.flatMap((r) => [...r]))].sort((a, b) => a - b);
    const rowOf = new Map(used.map((id, i) => [id, i]));
    const rows = new Float32Array(used.length * W);
    used.forEach((id, i) => rows.set(w.tok.subarray(id * W, (id + 1) * W), i * W));
    const params = new Map(w.params);
    params.set('tok_rows', rows);
    const losses: number[] = [];
    for (let step = 1; step <= o.steps; step++) {
      throwIfAborted(o.signal);
      const out = await this.session.run(this.feeds(w, ids, target), outputs);
      const loss = (out.loss!.data as Float32Array)[0]!;
      losses.push(loss);
      const grads = new Map<string, Float32Array>();
      for (const n of names) grads.set(n, out[`grad_${n}`]!.data as Float32Array);
      const gTok = out.grad_tok!.data as Float32Array;
      const gRows = new Float32Array(rows.length);
      ids.forEach((row, b) => {
        for (let t = 0; t < T; t++) {
          const r = rowOf.get(row[t]!)! * W;
          const src = (b * T + t) * W;
          for (let c = 0; c < W; c++) gRows[r + c] = gRows[r + c]! + gTok[src + c]!;
        }
      });
      grads.set('tok_rows', gRows);
      adam.step(params, grads);
      used.forEach((id, i) => w.tok.set(rows.subarray(i * W, (i + 1) * W), id * W));
      o.onStep?.(step, loss);
    }
    return { weights: w, losses };
  }

  /**
   * The tower's hidden states for each row, as A1111 reads the conditioning: the final LayerNorm of
   * hidden_states[-clipSkip] ([B × T × W]).
   */
  async hidden(w: ClipTextWeights, ids: readonly Int32Array[], clipSkip: number): Promise<Float32Array> {
    const skip = Math.min(Math.max(1, Math.floor(clipSkip)), w.shape.layers + 1);
    const out = await this.session.run(this.feeds(w, ids), [`zn_skip_${skip}`]);
    return out[`zn_skip_${skip}`]!.data as Float32Array;
  }
}
