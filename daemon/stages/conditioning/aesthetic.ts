// A1111's "aesthetic gradients" extension (stable-diffusion-webui-aesthetic-gradients, aesthetic_clip.py:
// AestheticCLIP.__call__), applied to each chunk batch the text encoder produced (its hook wraps process_tokens, so
// it runs for every prompt, the negative one included, after emphasis):
//   tokens = [BOS] + chunk[:75] + [EOS] — the chunk already starts with BOS and ends with EOS, so the model sees
//     BOS twice and loses the chunk's last token (a quirk of the extension, kept: it shapes every tuned result);
//   target = the embedding (normalised at load), or with a text: slerp(embedding, text features, slerp angle), the
//     text features replaced by normalise(embedding − text features) when "is negative";
//   a fresh copy of the CLIP text tower takes `steps` Adam steps (lr) maximising cos(features(tokens), target);
//   zn = its hidden states (CLIP skip as the job's), and z ← slerp(z, zn, weight) or z·(1 − weight) + zn·weight.
// slerp is the extension's: norms and angles over dim 1 (the TOKEN axis for the [B, 77, W] conditioning).
import type { ClipTokenizer } from '../../prompt/clipTokenizer';
import type { ClipTextTrainer } from '../../parts/clipTextTrainer';

export interface AestheticSettings {
  /** The embedding file's name (infotext "Aesthetic embedding"). */
  name: string;
  /** The image embedding, normalised (length E). */
  embedding: Float32Array;
  weight: number;
  steps: number;
  lr: number;
  slerp: boolean;
  slerpAngle: number;
  text: string;
  textNegative: boolean;
}

/**
 * aesthetic_clip.py `slerp(low, high, val)` on row-major [A, K, C] arrays, reducing over K (dim 1). Where the
 * angle is 0 (sin ω = 0; torch divides by zero there) the linear blend is used instead.
 */
export function slerpDim1(low: Float32Array, high: Float32Array, val: number, [A, K, C]: readonly [number, number, number]): Float32Array {
  const out = new Float32Array(low.length);
  for (let a = 0; a < A; a++) {
    for (let c = 0; c < C; c++) {
      let nl = 0, nh = 0, dot = 0;
      for (let k = 0; k < K; k++) {
        const i = (a * K + k) * C + c;
        nl += low[i]! * low[i]!;
        nh += high[i]! * high[i]!;
        dot += low[i]! * high[i]!;
      }
      const cos = dot / (Math.sqrt(nl) * Math.sqrt(nh));
      const omega = Math.acos(Math.min(1, Math.max(-1, cos)));
      const so = Math.sin(omega);
      const [wl, wh] = so === 0 || !Number.isFinite(so) ? [1 - val, val] : [Math.sin((1 - val) * omega) / so, Math.sin(val * omega) / so];
      for (let k = 0; k < K; k++) {
        const i = (a * K + k) * C + c;
        out[i] = wl * low[i]! + wh * high[i]!;
      }
    }
  }
  return out;
}

export function normalized(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return v.map((x) => x / n);
}

/** The extension's token rows for one chunk (77 ids with BOS … EOS): `[BOS] + chunk[:75] + [EOS]`. */
export function aestheticTokens(chunk: Int32Array, bos: number, eos: number): Int32Array {
  const out = new Int32Array(chunk.length);
  out[0] = bos;
  out.set(chunk.subarray(0, chunk.length - 2), 1);
  out[chunk.length - 1] = eos;
  return out;
}

/** The optimisation target: the embedding, or its slerp toward the aesthetic text's features. */
export async function aestheticTarget(a: AestheticSettings, trainer: ClipTextTrainer, tokenizer: ClipTokenizer): Promise<Float32Array> {
  if (!a.text) return a.embedding;
  const T = trainer.tokens;
  const bpe = tokenizer.encode(a.text).slice(0, T - 2);
  const ids = new Int32Array(T).fill(tokenizer.eosId);
  ids[0] = tokenizer.bosId;
  ids.set(bpe, 1);
  let text = await trainer.features([ids]);
  if (a.textNegative) text = normalized(a.embedding.map((x, i) => x - text[i]!));
  return slerpDim1(a.embedding, text, a.slerpAngle, [1, a.embedding.length, 1]);
}

export interface AestheticRun {
  signal?: AbortSignal;
  clipSkip: number;
  onStep?: (step: number, steps: number) => void;
}

/**
 * AestheticCLIP.__call__ for one chunk batch: `z` is [B × 77 × W] (after emphasis), `chunks` the B rows of ids it
 * was encoded from. Returns z unchanged when steps, lr or weight is 0.
 */
export async function applyAesthetic(z: Float32Array, chunks: readonly Int32Array[], a: AestheticSettings, trainer: ClipTextTrainer, tokenizer: ClipTokenizer, run: AestheticRun): Promise<Float32Array> {
  if (a.steps === 0 || a.lr === 0 || a.weight === 0) return z;
  const W = trainer.width;
  const T = trainer.tokens;
  if (z.length !== chunks.length * T * W) throw new Error(`aesthetic embedding: the conditioning is ${z.length / (chunks.length * T)} wide, the CLIP text model ${W} (SD 1.x models only)`);
  const tokens = chunks.map((c) => aestheticTokens(c, tokenizer.bosId, tokenizer.eosId));
  const target = await aestheticTarget(a, trainer, tokenizer);
  const tuned = await trainer.tune(tokens, target, { steps: a.steps, lr: a.lr, signal: run.signal, onStep: (s) => run.onStep?.(s, a.steps) });
  const zn = await trainer.hidden(tuned.weights, tokens, run.clipSkip);
  if (a.slerp) return slerpDim1(z, zn, a.weight, [chunks.length, T, W]);
  const out = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = z[i]! * (1 - a.weight) + zn[i]! * a.weight;
  return out;
}
