// What a single-file checkpoint is, from tensor names and shapes only: SD 1.x (CLIP ViT-L text, conv proj),
// SD 2.x (OpenCLIP ViT-H text, linear proj), SDXL (sgm `conditioner.embedders.0` CLIP-L + `.1` OpenCLIP bigG,
// UNet with label_emb) or the SDXL refiner (`conditioner.embedders.0` OpenCLIP bigG only); inpainting (9 UNet
// input channels) or instruct-pix2pix (8); the stored precision. Anything else is named and refused (SD3,
// Flux, a LoRA, a lone VAE, ...).
// Prediction type follows A1111 (sd_models_config.guess_model_config_from_state_dict): SD1, SDXL and
// SD2-inpainting are epsilon; a 4-channel SD2 UNet is v-prediction when A1111's UNet test says so (run by the
// builder: the weights alone cannot tell); a sidecar `<name>.yaml` or an explicit setting decides first. SDXL
// v-prediction files (NoobAI-XL v-pred and its merges) carry an empty `v_pred` marker tensor, which ComfyUI and
// Forge read; A1111 needs a yaml for them — we read the marker.
import type { TensorRecord } from './formats/tensorRecord';
import { clipTextPrefix } from './arch/clipText';
import { openClipTextPrefix } from './arch/openClipText';
import { vaePrefix } from './arch/vae';
import type { Prediction } from './arch/archConfig';

export type SdFamily = 'sd1' | 'sd2' | 'sdxl' | 'sdxl-refiner';

export const isSdxlFamily = (f: SdFamily): f is 'sdxl' | 'sdxl-refiner' => f === 'sdxl' || f === 'sdxl-refiner';
export type Variant = 'normal' | 'inpainting' | 'instruct-pix2pix';
export type Precision = 'fp32' | 'fp16' | 'bf16' | 'mixed';

export interface Detection {
  family: SdFamily;
  variant: Variant;
  unetInChannels: number;
  /** Decided, or 'unet-test' when A1111 would run its v-prediction test on the UNet. */
  prediction: Prediction | 'unet-test';
  predictionSource: 'override' | 'config' | 'a1111-rule' | 'unet-test' | 'checkpoint-marker';
  precision: Precision;
  /** CLIP text model (SD1, SDXL's CLIP-L) or OpenCLIP (SD2); undefined for the SDXL refiner (CLIP-G only). */
  textPrefix: string | undefined;
  /** SDXL's OpenCLIP bigG (text_encoder_2). */
  text2Prefix?: string;
  vaePrefix: string;
  hasVae: boolean;
  tensors: number;
  /** One line for logs and errors: "SD 1.x inpainting, fp16 weights, epsilon". */
  summary: string;
}

export class UnsupportedCheckpointError extends Error {
  override name = 'UnsupportedCheckpointError';
}

const UNET = 'model.diffusion_model.';

/** "model.diffusion_model (686), first_stage_model (248)" — what was found, for messages. */
export function prefixSummary(keys: Iterable<string>, limit = 6): string {
  const counts = new Map<string, number>();
  let total = 0;
  for (const k of keys) {
    total++;
    const parts = k.split('.');
    const head = ['model', 'conditioner', 'cond_stage_model'].includes(parts[0]!) ? parts.slice(0, 2).join('.') : parts[0]!.startsWith('lora_') ? parts[0]!.split('_').slice(0, 2).join('_') : parts[0]!;
    counts.set(head, (counts.get(head) ?? 0) + 1);
  }
  const list = [...counts].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([k, n]) => `${k} (${n})`);
  return `${total} tensors: ${list.join(', ')}${counts.size > limit ? ', …' : ''}`;
}

/** Names a known-but-unsupported model family, or undefined. */
function unsupportedFamily(keys: readonly string[], has: (k: string) => boolean): string | undefined {
  const any = (re: RegExp) => keys.some((k) => re.test(k));
  if (any(/^(model\.diffusion_model\.)?double_blocks\./) || any(/^(model\.diffusion_model\.)?single_blocks\.\d+\.linear1/)) return 'a Flux model';
  if (any(/^(model\.diffusion_model\.)?joint_blocks\./)) return 'a Stable Diffusion 3 model';
  if (any(/^lora_(unet|te\d?)_/) || any(/\.lora_(up|down)\.weight$/)) return 'a LoRA (use it with <lora:name:weight> in the prompt)';
  if (!any(/^model\.diffusion_model\./) && (has('encoder.conv_in.weight') || has('decoder.conv_in.weight'))) return 'a VAE file (use it as SD VAE / --vae)';
  if (!any(/^model\.diffusion_model\./) && (has('1.conv.0.weight') || has('0.weight'))) return 'a TAESD-like sequential model';
  return undefined;
}

function precisionOf(tensors: ReadonlyMap<string, TensorRecord>): Precision {
  const seen = new Set<string>();
  for (const [k, r] of tensors) if (k.startsWith(UNET)) seen.add(r.dtype);
  if (seen.size === 1) return seen.has('F16') ? 'fp16' : seen.has('BF16') ? 'bf16' : 'fp32';
  return 'mixed';
}

const FAMILY_NAMES: Record<SdFamily, string> = { sd1: 'SD 1.x', sd2: 'SD 2.x', sdxl: 'SDXL', 'sdxl-refiner': 'SDXL refiner' };

/** The family from where the text encoders live (and whether the UNet takes SDXL's vector). */
function familyOf(clip: string | undefined, openClip: string | undefined, labelEmb: boolean): SdFamily | undefined {
  if (openClip?.startsWith('cond_stage_model')) return 'sd2';
  if (labelEmb || clip?.startsWith('conditioner.') || openClip?.startsWith('conditioner.')) {
    if (clip?.startsWith('conditioner.embedders.0.') && openClip === 'conditioner.embedders.1.model.') return 'sdxl';
    if (clip === undefined && openClip === 'conditioner.embedders.0.model.') return 'sdxl-refiner';
    return undefined;
  }
  return clip !== undefined ? 'sd1' : undefined;
}

export function detectCheckpoint(
  tensors: ReadonlyMap<string, TensorRecord>,
  o: { file?: string; prediction?: Prediction; configPrediction?: Prediction } = {},
): Detection {
  const keys = [...tensors.keys()];
  const has = (k: string) => tensors.has(k);
  const where = o.file ? `${o.file}: ` : '';
  const other = unsupportedFamily(keys, has);
  if (other) throw new UnsupportedCheckpointError(`${where}this is ${other}, not an SD 1.x/2.x/SDXL checkpoint; not supported here yet (found ${prefixSummary(keys)})`);
  const conv = tensors.get(`${UNET}input_blocks.0.0.weight`);
  if (!conv || conv.shape.length !== 4) {
    throw new UnsupportedCheckpointError(`${where}no SD UNet (model.diffusion_model.input_blocks.0.0.weight) — not a Stable Diffusion checkpoint, or damaged (found ${prefixSummary(keys)})`);
  }
  const clip = clipTextPrefix(tensors);
  const openClip = openClipTextPrefix(tensors);
  const family = familyOf(clip, openClip, has(`${UNET}label_emb.0.0.weight`));
  if (!family) {
    throw new UnsupportedCheckpointError(
      `${where}has an SD UNet but no text encoder it goes with (cond_stage_model.transformer.* for SD 1.x, cond_stage_model.model.* for SD 2.x, conditioner.embedders.* for SDXL) (found ${prefixSummary(keys)})`,
    );
  }
  const inCh = conv.shape[1]!;
  const variant: Variant = inCh === 9 ? 'inpainting' : inCh === 8 ? 'instruct-pix2pix' : 'normal';
  if (inCh !== 4 && inCh !== 9 && inCh !== 8) throw new UnsupportedCheckpointError(`${where}UNet takes ${inCh} input channels (SD depth or another variant); 4 (normal), 9 (inpainting) and 8 (instruct-pix2pix) are known`);
  let prediction: Detection['prediction'];
  let predictionSource: Detection['predictionSource'];
  if (o.prediction) [prediction, predictionSource] = [o.prediction, 'override'];
  else if (o.configPrediction) [prediction, predictionSource] = [o.configPrediction, 'config'];
  else if (family === 'sd2' && inCh === 4) [prediction, predictionSource] = ['unet-test', 'unet-test'];
  else if (isSdxlFamily(family) && has('v_pred')) [prediction, predictionSource] = ['v_prediction', 'checkpoint-marker'];
  else [prediction, predictionSource] = ['epsilon', 'a1111-rule'];
  const vp = vaePrefix(tensors);
  const precision = precisionOf(tensors);
  const textPrefix = family === 'sd2' ? openClip : family === 'sdxl-refiner' ? undefined : clip;
  const text2Prefix = isSdxlFamily(family) ? openClip : undefined;
  const summary = `${FAMILY_NAMES[family]}${variant === 'normal' ? '' : ` ${variant}`}, ${precision} weights, ${prediction === 'unet-test' ? 'prediction to be tested' : prediction}`;
  return {
    family, variant, unetInChannels: inCh, prediction, predictionSource, precision, textPrefix, ...(text2Prefix ? { text2Prefix } : {}), vaePrefix: vp,
    hasVae: has(`${vp}decoder.conv_in.weight`) && has(`${vp}encoder.conv_in.weight`), tensors: keys.length, summary,
  };
}
