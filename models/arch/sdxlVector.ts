// SDXL's UNet vector `y` (sgm GeneralConditioner's "vector" output), assembled inside the UNet graph from the
// inputs of the diffusers SDXL ONNX contract: `text_embeds` [B, P] (CLIP-G's pooled projection) and `time_ids`
// [B, N] (base: original h, w, crop top, left, target h, w; refiner: original h, w, crop top, left, aesthetic
// score). y = [text_embeds | emb(time_ids[0]) | … | emb(time_ids[N−1])], each emb 256 wide:
// [cos(v·fᵢ)]ᵢ<128 ++ [sin(v·fᵢ)]ᵢ<128, fᵢ = exp(−ln(10000)·i/128) (sgm ConcatTimestepEmbedderND →
// timestep_embedding; diffusers' add_time_proj with flip_sin_to_cos). Computed in float64 then cast: in float32
// v·fᵢ for v = 1920 is off by ~1e-4, which sgm's own fp32 run shows and the fixtures' float64 reference does not.
import { ElemType, type GraphBuilder } from '../graph';
import { ArchError } from './params';

export interface SdxlVectorOptions {
  /** Width of the pooled text embedding (CLIP-G text_projection output: 1280). */
  pooledDim: number;
  /** Width of one size number's embedding (sd_xl_base.yaml ConcatTimestepEmbedderND outdim): 256. */
  sizeEmbedDim?: number;
}

/** How many time_ids a UNet with an `admInChannels`-wide vector takes (6 for SDXL base, 5 for the refiner). */
export function timeIdCount(admInChannels: number, o: SdxlVectorOptions): number {
  const per = o.sizeEmbedDim ?? 256;
  const n = (admInChannels - o.pooledDim) / per;
  if (!Number.isInteger(n) || n < 1) {
    throw new ArchError(`label_emb takes ${admInChannels} values, which is not ${o.pooledDim} (pooled text) + a multiple of ${per} (size embeddings)`);
  }
  return n;
}

/** Declares text_embeds and time_ids and returns y [B, admInChannels] in the graph's float type. */
export function sdxlVectorInputs(g: GraphBuilder, admInChannels: number, o: SdxlVectorOptions): string {
  const ft = g.floatType;
  const per = o.sizeEmbedDim ?? 256;
  const n = timeIdCount(admInChannels, o);
  const pooled = g.input('text_embeds', ft, ['batch', o.pooledDim]);
  const ids = g.input('time_ids', ft, ['batch', n]);
  const half = per / 2;
  const freqs = Float64Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  // [B, N, 1] · [1, 1, half] → [B, N, half]; cos ++ sin on the last axis; [B, N·per].
  const args = g.mul(g.unsqueeze(g.cast(ids, ElemType.DOUBLE), [2]), g.tensorConst(freqs, [1, 1, half], ElemType.DOUBLE));
  const emb = g.reshape(g.concat([g.cos(args), g.sin(args)], 2), [0, n * per]);
  return g.concat([pooled, g.cast(emb, ft)], 1);
}
