// Text generation as BLIP_Decoder.generate(sample=False) runs it through Hugging Face transformers 4.30 (A1111's
// pinned version): greedy_search for one beam, beam_search with BeamSearchScorer otherwise; length_penalty 1,
// early_stopping False, one returned sequence, repetition_penalty 1 (no processor). min_length is
// MinLengthLogitsProcessor (EOS masked while the sequence, prompt included, is shorter), max_length
// MaxLengthCriteria (the sequence, prompt included, reaches it). Scores are float32 as torch keeps them.
// Pure: the model is a function from the current sequences to the next-token logits.

/** Logits of the next token for each sequence (rows of `vocab` values). */
export type NextTokenLogits = (sequences: readonly number[][]) => Promise<Float32Array>;

export interface GenerateOptions {
  prompt: readonly number[];
  numBeams: number;
  minLength: number;
  maxLength: number;
  eos: number;
  pad: number;
  signal?: AbortSignal;
  onStep?: (length: number) => void;
}

const f32 = Math.fround;

/** log_softmax of one row, float32 results. */
function logSoftmax(row: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of row) if (v > max) max = v;
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  return row.map((v) => f32(v - lse));
}

export async function generate(model: NextTokenLogits, o: GenerateOptions): Promise<number[]> {
  if (o.prompt.length >= o.maxLength) return [...o.prompt];
  return o.numBeams <= 1 ? greedy(model, o) : beamSearch(model, o);
}

async function greedy(model: NextTokenLogits, o: GenerateOptions): Promise<number[]> {
  const seq = [...o.prompt];
  for (;;) {
    if (o.signal?.aborted) throw new Error('cancelled');
    const logits = await model([seq]);
    if (seq.length < o.minLength) logits[o.eos] = -Infinity;
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
    seq.push(best);
    o.onStep?.(seq.length);
    if (best === o.eos || seq.length >= o.maxLength) return seq;
  }
}

/** BeamHypotheses: the best `numBeams` finished sequences, scored sum_logprobs / length (length_penalty 1). */
class Hypotheses {
  readonly beams: Array<{ score: number; seq: number[] }> = [];
  worst = 1e9;
  constructor(private readonly n: number) {}

  add(seq: number[], sumLogprobs: number): void {
    const score = sumLogprobs / seq.length;
    if (this.beams.length < this.n || score > this.worst) {
      this.beams.push({ score, seq });
      if (this.beams.length > this.n) {
        const order = this.beams.map((b, i) => [b.score, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        this.beams.splice(order[0]![1], 1);
        this.worst = order[1]![0];
      } else {
        this.worst = Math.min(score, this.worst);
      }
    }
  }

  isDone(bestSumLogprobs: number, curLen: number): boolean {
    return this.beams.length >= this.n && this.worst >= bestSumLogprobs / curLen;
  }
}

async function beamSearch(model: NextTokenLogits, o: GenerateOptions): Promise<number[]> {
  const B = o.numBeams;
  let seqs = Array.from({ length: B }, () => [...o.prompt]);
  let scores = Array.from({ length: B }, (_, i) => (i === 0 ? 0 : f32(-1e9)));
  const hyps = new Hypotheses(B);
  let done = false;
  for (;;) {
    if (o.signal?.aborted) throw new Error('cancelled');
    const cur = seqs[0]!.length;
    const logits = await model(seqs);
    const vocab = logits.length / B;
    // Candidates: every (beam, token) with its running score; the top 2·beams, best first (torch.topk, sorted).
    const cand: Array<{ score: number; beam: number; token: number }> = [];
    for (let b = 0; b < B; b++) {
      const lp = logSoftmax(logits.subarray(b * vocab, (b + 1) * vocab));
      if (cur < o.minLength) lp[o.eos] = -Infinity;
      for (let t = 0; t < vocab; t++) cand.push({ score: f32(lp[t]! + scores[b]!), beam: b, token: t });
    }
    cand.sort((a, b) => b.score - a.score || a.beam * vocab + a.token - (b.beam * vocab + b.token));
    const top = cand.slice(0, 2 * B);
    const nextSeqs: number[][] = [];
    const nextScores: number[] = [];
    for (let rank = 0; rank < top.length && nextSeqs.length < B; rank++) {
      const c = top[rank]!;
      if (c.token === o.eos) {
        if (rank >= B) continue;
        hyps.add([...seqs[c.beam]!], c.score);
      } else {
        nextSeqs.push([...seqs[c.beam]!, c.token]);
        nextScores.push(c.score);
      }
    }
    done = done || hyps.isDone(top[0]!.score, cur);
    seqs = nextSeqs;
    scores = nextScores;
    o.onStep?.(seqs[0]!.length);
    if (done || seqs[0]!.length >= o.maxLength) break;
  }
  if (!done) seqs.forEach((s, b) => hyps.add(s, scores[b]!));
  // sorted(beams, key=score)[-1]: the highest score, the later-added one among equals.
  let best = hyps.beams[0]!;
  for (const h of hyps.beams) if (h.score >= best.score) best = h;
  return best.seq.length < o.maxLength ? [...best.seq, o.eos] : best.seq;
}
