// The single networks SD Studio builds from a user's weights file (not SD checkpoints): one row per kind says how
// to recognise its state dict, how to build the graph, and what its ONNX promises a caller (written beside it as
// model.json). Add a network by adding a row. Every graph has one NCHW float image input, normalised by the caller
// as `input.preprocess` says, and its main output first.
import type { GraphBuilder } from './graph';
import type { TensorRecord } from './formats/tensorRecord';
import type { ParamEntry } from './arch/params';
import { buildCodeFormer, isCodeFormer } from './arch/faces/codeformer';
import { buildGfpgan, isGfpganClean } from './arch/faces/gfpgan';
import { buildParseNet, isParseNet } from './arch/faces/parsenet';
import { buildRetinaFace, isRetinaFace } from './arch/faces/retinaface';
import { detectUpscaler, type UpscalerGraphInfo } from './arch/detectUpscaler';
import { buildUpscalerFromTensors } from './upscalerCache';
import { buildClipVision, isClipVision } from './arch/clip/vision';
import { buildDeepDanbooru, isDeepDanbooru } from './arch/deepDanbooru';
import type { PyValue } from './formats/pickle';

export type NetworkKind = 'gfpgan' | 'codeformer' | 'retinaface' | 'parsenet' | 'clip-vision' | 'deepdanbooru' | 'esrgan';

/** What the graph expects and gives, for the caller (and for model.json). */
export interface NetworkIo {
  kind: NetworkKind;
  /** The architecture as built, e.g. "GFPGANv1Clean 512 px". */
  arch: string;
  input: {
    name: string;
    /** [1, 3, H, W]; numbers are fixed, strings free. */
    shape: Array<number | string>;
    channels: 'RGB' | 'BGR';
    /** How pixels (uint8 0..255) become the input. */
    preprocess: string;
  };
  /** Non-image inputs (CodeFormer's fidelity weight). */
  extraInputs: Array<{ name: string; shape: number[]; meaning: string; default: number }>;
  /** Main output first. */
  outputs: Array<{ name: string; meaning: string }>;
  notes: string[];
  /** Upscalers only: what the tile runner needs. */
  upscaler?: UpscalerGraphInfo;
  /** Classifiers: the name of each output score (DeepDanbooru's tags, from the file). */
  labels?: string[];
}

export interface BuiltNetwork {
  g: GraphBuilder;
  /** Weights read from the file at write time (empty when the graph holds its weights inline). */
  plan: ParamEntry[];
  io: NetworkIo;
}

/** Options a file cannot state (a JSON `--config` may give them). */
export interface NetworkOptions {
  /** CodeFormer's attention heads (n_head, default 8). */
  heads?: number;
}

/** What a file holds besides its state dict: torch leaves (`tags/0` …) and safetensors metadata. */
export interface NetworkSource {
  leaves: ReadonlyMap<string, PyValue>;
  metadata: Readonly<Record<string, string>>;
}

interface NetworkRow {
  kind: NetworkKind;
  /** For messages: "GFPGAN (GFPGANv1Clean)". */
  label: string;
  matches(tensors: ReadonlyMap<string, TensorRecord>): boolean;
  build(tensors: ReadonlyMap<string, TensorRecord>, o: NetworkOptions, source: NetworkSource): BuiltNetwork | Promise<BuiltNetwork>;
}

const FACE_IN = '(u8 / 255 − 0.5) / 0.5 per channel, RGB order (GFPGANer / A1111 restore_with_face_helper)';
const FACE_OUT = 'the restored face, RGB in [-1, 1] (not clamped; A1111 clamps, maps to 0..255 and truncates)';

const ROWS: NetworkRow[] = [
  {
    kind: 'gfpgan',
    label: 'GFPGAN (GFPGANv1Clean, v1.3 / v1.4)',
    matches: isGfpganClean,
    build(t) {
      const b = buildGfpgan(t);
      return {
        g: b.g, plan: b.params.plan,
        io: {
          kind: 'gfpgan', arch: `GFPGANv1Clean ${b.info.size} px, style ${b.info.styleDim}×${b.info.latents}${b.info.sftHalf ? ', sft_half' : ''}`,
          input: { name: 'image', shape: [1, 3, b.info.size, b.info.size], channels: 'RGB', preprocess: FACE_IN },
          extraInputs: [], outputs: [{ name: 'restored', meaning: FACE_OUT }, { name: 'style_code', meaning: 'final_linear output viewed as [1, latents, style]' }],
          notes: ['StyleGAN noise comes from the noises.noiseN buffers stored in the file (deterministic); A1111 draws fresh noise on every call (randomize_noise=True).'],
        },
      };
    },
  },
  {
    kind: 'codeformer',
    label: 'CodeFormer',
    matches: isCodeFormer,
    build(t, o) {
      const b = buildCodeFormer(t, { heads: o.heads });
      return {
        g: b.g, plan: b.params.plan,
        io: {
          kind: 'codeformer', arch: `CodeFormer dim ${b.info.dim}, ${b.info.layers} layers, ${b.info.codebook} codes, connect ${b.info.connect.join('/')}`,
          input: { name: 'image', shape: [1, 3, 512, 512], channels: 'RGB', preprocess: FACE_IN },
          extraInputs: [{ name: 'w', shape: [1], meaning: 'fidelity weight: 0 = strongest restoration, 1 = closest to the input (A1111 code_former_weight)', default: 0.5 }],
          outputs: [{ name: 'restored', meaning: FACE_OUT }, { name: 'logits', meaning: 'code logits [1, 256, codebook]' }, { name: 'lq_feat', meaning: 'encoder output' }, { name: 'top_idx', meaning: 'chosen codes (int64)' }],
          notes: ['forward(x, w, adain=True) as A1111 calls it.'],
        },
      };
    },
  },
  {
    kind: 'retinaface',
    label: 'RetinaFace (facexlib ResNet-50 detector)',
    matches: isRetinaFace,
    build(t) {
      const b = buildRetinaFace(t);
      return {
        g: b.g, plan: b.params.plan,
        io: {
          kind: 'retinaface', arch: `RetinaFace ResNet-50 body [${b.info.blocks.join(', ')}], FPN ${b.info.channels}`,
          input: { name: 'image', shape: [1, 3, 'height', 'width'], channels: 'BGR', preprocess: 'u8 − (104, 117, 123) per channel in BGR order, no scaling' },
          extraInputs: [],
          outputs: [
            { name: 'loc', meaning: 'box offsets [1, A, 4] against the prior boxes (variances 0.1, 0.2)' },
            { name: 'conf', meaning: 'softmaxed [background, face] scores [1, A, 2]' },
            { name: 'landms', meaning: 'five-point offsets [1, A, 10]' },
          ],
          notes: ['Priors: per map (steps 8/16/32, ceil(H/step)×ceil(W/step), row-major) and cell, min sizes [16,32]/[64,128]/[256,512]. A1111 keeps faces scoring > 0.97, NMS 0.4, on the image resized so its short side is 640.'],
        },
      };
    },
  },
  {
    kind: 'parsenet',
    label: 'ParseNet (facexlib face parsing)',
    matches: isParseNet,
    build(t) {
      const b = buildParseNet(t);
      return {
        g: b.g, plan: b.params.plan,
        io: {
          kind: 'parsenet', arch: `ParseNet ${b.info.size} px, ${b.info.classes} classes`,
          input: { name: 'image', shape: [1, 3, b.info.size, b.info.size], channels: 'RGB', preprocess: FACE_IN },
          extraInputs: [],
          outputs: [{ name: 'parsing', meaning: 'class logits [1, 19, S, S]; FaceRestoreHelper keeps classes 1-13 and 15 as face' }, { name: 'image_out', meaning: 'out_img_conv (unused)' }],
          notes: [],
        },
      };
    },
  },
  {
    kind: 'clip-vision',
    label: 'CLIP image encoder (OpenAI ViT-L-14.pt / visual.*, or Hugging Face CLIPModel)',
    matches: isClipVision,
    build(t) {
      const b = buildClipVision(t);
      const i = b.info;
      return {
        g: b.g, plan: b.params.plan,
        io: {
          kind: 'clip-vision', arch: `CLIP ViT ${i.size} px, patch ${i.patch}, width ${i.width}, ${i.layers} layers, ${i.heads} heads → ${i.embedDim} (${i.layout === 'hf' ? 'Hugging Face' : 'OpenAI'} layout)`,
          input: { name: 'image', shape: ['batch', 3, i.size, i.size], channels: 'RGB', preprocess: `clip._transform(${i.size}): bicubic resize of the short side to ${i.size}, centre crop, u8 / 255, then (x − (0.48145466, 0.4578275, 0.40821073)) / (0.26862954, 0.26130258, 0.27577711)` },
          extraInputs: [],
          outputs: [{ name: 'image_embeds', meaning: 'ln_post(class token) @ proj: encode_image / get_image_features, not normalised' }, { name: 'pooled', meaning: 'ln_post of the class token, before the projection' }],
          notes: ['A1111 normalises image_embeds before ranking (interrogate) and the aesthetic extension averages get_image_features.'],
        },
      };
    },
  },
  {
    kind: 'deepdanbooru',
    label: 'DeepDanbooru (model-resnet_custom_v3.pt)',
    matches: isDeepDanbooru,
    build(t, _o, source) {
      const b = buildDeepDanbooru(t);
      const labels = danbooruTags(source, b.info.tags);
      return {
        g: b.g, plan: b.params.plan,
        io: {
          kind: 'deepdanbooru', arch: `DeepDanbooru ResNet, stem ${b.info.stem}, ${b.info.tags} tags`,
          input: { name: 'image', shape: [1, 3, 'height', 'width'], channels: 'RGB', preprocess: 'u8 / 255 (A1111 first resizes and fills to 512×512); the model\'s own NHWC → NCHW permute is done by the caller' },
          extraInputs: [],
          outputs: [{ name: 'scores', meaning: 'sigmoid tag scores [1, tags], in the order of `labels`' }, { name: 'logits', meaning: 'before the sigmoid' }],
          notes: ['A1111 keeps tags scoring ≥ 0.5 that are not rating:*.'],
          ...(labels ? { labels } : {}),
        },
      };
    },
  },
  {
    kind: 'esrgan',
    label: 'ESRGAN-family upscaler (RRDBNet, SRVGGNetCompact)',
    matches: (t) => {
      try {
        detectUpscaler(weightInfo(t), 'weights');
        return true;
      } catch {
        return false;
      }
    },
    build: buildUpscaler,
  },
];

/** The tag list DeepDanbooruModel.load_state_dict pops from the .pt (`tags` list), or a safetensors `tags` JSON. */
function danbooruTags(source: NetworkSource, count: number): string[] | undefined {
  const fromLeaves: string[] = [];
  for (let i = 0; ; i++) {
    const v = source.leaves.get(`tags/${i}`);
    if (typeof v !== 'string') break;
    fromLeaves.push(v);
  }
  let tags: unknown = fromLeaves.length ? fromLeaves : undefined;
  if (!tags && source.metadata.tags) {
    try {
      tags = JSON.parse(source.metadata.tags);
    } catch {
      tags = undefined;
    }
  }
  return Array.isArray(tags) && tags.length === count && tags.every((x) => typeof x === 'string') ? tags : undefined;
}

const weightInfo = (t: ReadonlyMap<string, TensorRecord>): Array<{ name: string; shape: number[] }> => [...t].map(([name, r]) => ({ name, shape: r.shape }));

async function buildUpscaler(t: ReadonlyMap<string, TensorRecord>): Promise<BuiltNetwork> {
  const { graph, info } = await buildUpscalerFromTensors([...t.values()], 'weights');
  return {
    g: graph, plan: [],
    io: {
      kind: 'esrgan', arch: info.arch, upscaler: info,
      input: { name: 'image', shape: [1, 3, 'height', 'width'], channels: info.channelOrder === 'bgr' ? 'BGR' : 'RGB', preprocess: `u8 / 255 in ${info.channelOrder.toUpperCase()} order (A1111 upscale_with_model)` },
      extraInputs: [], outputs: [{ name: 'upscaled', meaning: `×${info.scale}, clipped to [0, 1]` }],
      notes: info.multipleOf > 1 ? [`input sides must be multiples of ${info.multipleOf} (pixel-unshuffle)`] : [],
    },
  };
}

/** The row whose keys match, or undefined. ESRGAN is tried last (its key patterns are the loosest). */
export function detectNetwork(tensors: ReadonlyMap<string, TensorRecord>): NetworkKind | undefined {
  return ROWS.find((r) => r.matches(tensors))?.kind;
}

export const networkLabels = (): string[] => ROWS.map((r) => r.label);

export function buildNetwork(kind: NetworkKind, tensors: ReadonlyMap<string, TensorRecord>, o: NetworkOptions = {}, source: NetworkSource = { leaves: new Map(), metadata: {} }): Promise<BuiltNetwork> {
  const row = ROWS.find((r) => r.kind === kind)!;
  return Promise.resolve(row.build(tensors, o, source));
}
