// Outputs shared by both text encoders, so the daemon reads them the same way whichever SD generation built
// them: `last_hidden_state` (the conditioning the family uses by default), `clip_skip_N` = final LayerNorm of
// hidden_states[-N] (A1111's "CLIP skip" N; 1 = the last layer) and the raw `hidden_states.I` (I = 0 for the
// embeddings .. L, Optimum's names). ONNX Runtime only runs the nodes the requested outputs need.
import { ElemType } from '../graph';
import { layerNorm } from './layers';
import type { Params } from './params';

/** Declares the outputs; returns `last_hidden_state`'s value. */
export function textOutputs(p: Params, finalLn: string, hidden: readonly string[], defaultSkip: number, width: number): string {
  const g = p.g;
  const L = hidden.length - 1;
  const dims = ['batch', 'sequence', width];
  const ft = g.floatType;
  const normed = new Map<number, string>();
  const skip = (n: number): string => {
    let v = normed.get(n);
    if (v === undefined) normed.set(n, (v = layerNorm(p, finalLn, hidden[L + 1 - n]!)));
    return v;
  };
  g.output('last_hidden_state', ft, dims, skip(defaultSkip));
  for (let n = 1; n <= L; n++) g.output(`clip_skip_${n}`, ft, dims, skip(n));
  hidden.forEach((h, i) => g.output(`hidden_states.${i}`, ft, dims, h));
  return skip(defaultSkip);
}

/** Token ids (int32, as the diffusers export) or, for textual inversion / emphasis, the token embeddings. */
export function textInput(p: Params, tokenKey: string, tokens: number, inputsEmbeds: boolean): string {
  const g = p.g;
  const width = p.shape(tokenKey)[1]!;
  if (inputsEmbeds) return g.input('inputs_embeds', g.floatType, ['batch', tokens, width]);
  const ids = g.input('input_ids', ElemType.INT32, ['batch', tokens]);
  return g.gather(p.initializer(tokenKey), ids, 0);
}
