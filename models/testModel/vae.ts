// The tiny model's autoencoder: analytic, no learned weights. The encoder is a fixed 8×8 patch projection (the
// patch's mean colour in a 4-channel latent colour basis), the decoder its pseudo-inverse in colour followed by a
// smooth ×8 interpolation, so decode(encode(x)) is a close, slightly smoothed copy of x.
import { GraphBuilder } from '../graph';
import { weight, type PartOptions } from './weights';

/** Latent channels and the VAE's spatial factor, as in SD 1.x/2.x. */
export const LATENT_CHANNELS = 4;
export const VAE_FACTOR = 8;
/**
 * Raw latent units per unit of [-1, 1] colour. After the pipeline's 0.18215 scaling a colourful picture's latents
 * have rms ≈ 4 (SD's ≈ 1): the analytic denoiser is far weaker than a trained UNet, and a stronger signal lets it
 * keep the picture at low denoising strength while high strength still drifts away.
 */
export const LATENT_GAIN = 44;

/**
 * Latent colour basis: 3 orthonormal columns of a 4×4 Hadamard matrix / 2, so decoder·encoder = identity on RGB,
 * every latent channel carries the picture, and one latent direction (see `latentColourAxes`) is ignored by the
 * decoder, as SD's VAE ignores much of its latent space.
 */
const BASIS = [
  [1, 1, 1],
  [1, -1, 1],
  [1, 1, -1],
  [1, -1, -1],
].map((row) => row.map((v) => v / 2));

/**
 * Orthonormal latent directions: luma, two chroma (the encoded images of RGB (1,1,1), (1,−1,0), (1,1,−2)) and the
 * direction no picture encodes to, which the decoder ignores. The UNet states its prior in these axes.
 */
export function latentColourAxes(): number[][] {
  const fromRgb = (rgb: number[]): number[] => {
    const n = Math.hypot(...rgb);
    return BASIS.map((row) => row.reduce((s, v, k) => s + (v * rgb[k]!) / n, 0));
  };
  return [fromRgb([1, 1, 1]), fromRgb([1, -1, 0]), fromRgb([1, 1, -2]), [0.5, -0.5, -0.5, 0.5]];
}

export type VaeEncoderOutput = 'latent_sample' | 'latent_parameters';

/**
 * VAE encoder: 8×8 average pool then a 1×1 conv RGB → 4 latent channels (the colour basis × LATENT_GAIN). The
 * Optimum-style variant outputs the distribution, mean ++ logvar (8 channels), logvar a constant −6 from the conv
 * bias; the diffusers variant outputs the mean directly (real ones sample in-graph; a deterministic model is more
 * useful).
 */
export function vaeEncoderGraph(o: PartOptions & { output: VaeEncoderOutput }): GraphBuilder {
  const g = new GraphBuilder({ name: 'vae_encoder', floatType: o.floatType });
  const C = LATENT_CHANNELS;
  const outC = o.output === 'latent_parameters' ? 2 * C : C;
  const x = g.input('sample', o.floatType, [o.batch, 3, 'height', 'width']);
  const pooled = g.averagePool(x, { kernelShape: [VAE_FACTOR, VAE_FACTOR], strides: [VAE_FACTOR, VAE_FACTOR] });
  const w = new Float32Array(outC * 3);
  const b = new Float32Array(outC);
  for (let c = 0; c < C; c++) for (let k = 0; k < 3; k++) w[c * 3 + k] = LATENT_GAIN * BASIS[c]![k]!;
  for (let c = C; c < outC; c++) b[c] = -6;
  const latent = g.conv(pooled, weight(g, 'quant_conv.weight', [outC, 3, 1, 1], w), weight(g, 'quant_conv.bias', [outC], b));
  g.output(o.output, o.floatType, [o.batch, outC, 'latent_height', 'latent_width'], latent);
  return g;
}

/**
 * VAE decoder: 1×1 conv 4 → RGB (the encoder's colour pseudo-inverse), bilinear ×8 upsample (smooth pictures come
 * back smooth, not blocky), and a 3×3 binomial blur over edge-padded borders so the rim is not darkened.
 */
export function vaeDecoderGraph(o: PartOptions): GraphBuilder {
  const g = new GraphBuilder({ name: 'vae_decoder', floatType: o.floatType });
  const C = LATENT_CHANNELS;
  const z = g.input('latent_sample', o.floatType, [o.batch, C, 'latent_height', 'latent_width']);
  const w = new Float32Array(3 * C);
  for (let k = 0; k < 3; k++) for (let c = 0; c < C; c++) w[k * C + c] = BASIS[c]![k]! / LATENT_GAIN;
  const rgb = g.conv(z, weight(g, 'post_quant_conv.weight', [3, C, 1, 1], w), weight(g, 'post_quant_conv.bias', [3], new Float32Array(3)));
  const up = g.resize(rgb, { mode: 'linear', scales: [1, 1, VAE_FACTOR, VAE_FACTOR] });
  const blur = new Float32Array(3 * 9);
  const k1 = [1, 2, 1];
  for (let c = 0; c < 3; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) blur[c * 9 + i * 3 + j] = (k1[i]! * k1[j]!) / 16;
  const padded = g.pad(up, [0, 0, 1, 1, 0, 0, 1, 1], 'edge');
  const out = g.conv(padded, weight(g, 'conv_out.weight', [3, 1, 3, 3], blur), undefined, { kernelShape: [3, 3], group: 3 });
  g.output('sample', o.floatType, [o.batch, 3, 'height', 'width'], out);
  return g;
}
