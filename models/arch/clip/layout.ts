// The two key layouts CLIP weights come in, for both towers, behind one set of role names so the graph builders
// and the aesthetic trainer do not care which file they got:
//   OpenAI (`ViT-L-14.pt`, a TorchScript archive, or its tensors re-saved): `visual.*` (conv1, class_embedding,
//   positional_embedding, ln_pre, transformer.resblocks.N.{ln_1, attn.in_proj_weight (q;k;v rows), attn.out_proj,
//   ln_2, mlp.c_fc, mlp.c_proj}, ln_post, proj [W, E] used as x @ proj) and the text tower at the root
//   (token_embedding, positional_embedding, transformer.resblocks.N, ln_final, text_projection [W, E]);
//   Hugging Face `CLIPModel` (openai/clip-vit-large-patch14): `vision_model.{embeddings.{patch_embedding,
//   class_embedding, position_embedding}, pre_layrnorm, encoder.layers.N.{layer_norm1, self_attn.{q,k,v,out}_proj,
//   layer_norm2, mlp.fc1, mlp.fc2}, post_layernorm}`, `visual_projection.weight` [E, W], and `text_model.*` with
//   `text_projection.weight` [E, W].
// Both use QuickGELU, LayerNorm eps 1e-5 and heads = width / 64 (clip.model.build_model; HF configs agree).
import type { TensorRecord } from '../../formats/tensorRecord';

export type ClipLayout = 'openai' | 'hf';

/** A projection: `x @ W` (OpenAI stores [in, out]) or a bias-free Linear (HF stores [out, in]). */
export interface ProjectionKey {
  key: string;
  /** True when the stored matrix is [out, in] (nn.Linear). */
  linear: boolean;
}

/** Where one transformer layer's weights are, under the tower's prefix. */
export interface LayerKeys {
  ln1: string;
  ln2: string;
  /** Packed q;k;v ([3W, W] weight + [3W] bias, OpenAI) or three Linears (HF). */
  qkv: { packed: string } | { q: string; k: string; v: string };
  out: string;
  fc1: string;
  fc2: string;
}

export interface TowerKeys {
  layout: ClipLayout;
  /** Prefix of every key below (`visual.`, `vision_model.`, `text_model.`, '' for OpenAI's text tower). */
  prefix: string;
  layer(i: number): LayerKeys;
  /** Key of one layer's first LayerNorm weight, for counting layers. */
  layerProbe: (i: number) => string;
  /** Final projection to the shared embedding space, relative to the file root (not the prefix). */
  projection: ProjectionKey;
}

export interface VisionKeys extends TowerKeys {
  patch: string;
  classEmbedding: string;
  positions: string;
  lnPre: string;
  lnPost: string;
}

export interface TextKeys extends TowerKeys {
  tokens: string;
  positions: string;
  lnFinal: string;
}

const openaiLayer = (i: number): LayerKeys => {
  const b = `transformer.resblocks.${i}.`;
  return { ln1: `${b}ln_1`, ln2: `${b}ln_2`, qkv: { packed: `${b}attn.in_proj` }, out: `${b}attn.out_proj`, fc1: `${b}mlp.c_fc`, fc2: `${b}mlp.c_proj` };
};
const hfLayer = (i: number): LayerKeys => {
  const b = `encoder.layers.${i}.`;
  return {
    ln1: `${b}layer_norm1`, ln2: `${b}layer_norm2`, qkv: { q: `${b}self_attn.q_proj`, k: `${b}self_attn.k_proj`, v: `${b}self_attn.v_proj` },
    out: `${b}self_attn.out_proj`, fc1: `${b}mlp.fc1`, fc2: `${b}mlp.fc2`,
  };
};

/** The image tower's keys, or undefined when the file has none. */
export function clipVisionKeys(t: ReadonlyMap<string, TensorRecord>): VisionKeys | undefined {
  if (t.has('visual.conv1.weight') && t.has('visual.proj')) {
    return {
      layout: 'openai', prefix: 'visual.', patch: 'conv1.weight', classEmbedding: 'class_embedding', positions: 'positional_embedding',
      lnPre: 'ln_pre', lnPost: 'ln_post', layer: openaiLayer, layerProbe: (i) => `transformer.resblocks.${i}.ln_1.weight`,
      projection: { key: 'visual.proj', linear: false },
    };
  }
  if (t.has('vision_model.embeddings.patch_embedding.weight') && t.has('visual_projection.weight')) {
    return {
      layout: 'hf', prefix: 'vision_model.', patch: 'embeddings.patch_embedding.weight', classEmbedding: 'embeddings.class_embedding',
      positions: 'embeddings.position_embedding.weight', lnPre: 'pre_layrnorm', lnPost: 'post_layernorm', layer: hfLayer,
      layerProbe: (i) => `encoder.layers.${i}.layer_norm1.weight`, projection: { key: 'visual_projection.weight', linear: true },
    };
  }
  return undefined;
}

/** The text tower's keys (with its projection), or undefined when the file has none. */
export function clipTextKeys(t: ReadonlyMap<string, TensorRecord>): TextKeys | undefined {
  if (t.has('token_embedding.weight') && t.has('text_projection') && t.has('ln_final.weight')) {
    return {
      layout: 'openai', prefix: '', tokens: 'token_embedding.weight', positions: 'positional_embedding', lnFinal: 'ln_final', layer: openaiLayer,
      layerProbe: (i) => `transformer.resblocks.${i}.ln_1.weight`, projection: { key: 'text_projection', linear: false },
    };
  }
  if (t.has('text_model.embeddings.token_embedding.weight') && t.has('text_projection.weight')) {
    return {
      layout: 'hf', prefix: 'text_model.', tokens: 'embeddings.token_embedding.weight', positions: 'embeddings.position_embedding.weight',
      lnFinal: 'final_layer_norm', layer: hfLayer, layerProbe: (i) => `encoder.layers.${i}.layer_norm1.weight`,
      projection: { key: 'text_projection.weight', linear: true },
    };
  }
  return undefined;
}

/** Layers present: the first index whose probe key is missing. */
export function countLayers(t: ReadonlyMap<string, TensorRecord>, keys: TowerKeys): number {
  let n = 0;
  while (t.has(keys.prefix + keys.layerProbe(n))) n++;
  return n;
}
