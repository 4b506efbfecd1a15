// CLIP's image tower (clip.model.VisionTransformer; HF CLIPVisionTransformer + visual_projection), either key
// layout (layout.ts): patchify conv (no bias), the class token PREPENDED at index 0, positions added, ln_pre,
// the residual blocks, ln_post on the class token only, then the projection. `image_embeds` is what
// `encode_image` / `get_image_features` return (not normalised). Input `image` [B, 3, S, S] is the caller's
// clip._transform: bicubic resize of the short side to S, centre crop, CLIP mean/std (daemon/interrogate/clipPreprocess.ts).
import { ElemType, GraphBuilder } from '../../graph';
import type { TensorRecord } from '../../formats/tensorRecord';
import { layerNorm } from '../layers';
import { ArchError, Params } from '../params';
import type { BuiltPart } from '../unet';
import { clipVisionKeys, countLayers, type ClipLayout } from './layout';
import { clipHeads, clipLayer, project, projectionDim } from './tower';

export interface ClipVisionInfo {
  layout: ClipLayout;
  width: number;
  layers: number;
  heads: number;
  patch: number;
  /** Input side in pixels (patch × grid). */
  size: number;
  /** Output width of image_embeds. */
  embedDim: number;
}

export const isClipVision = (t: ReadonlyMap<string, TensorRecord>): boolean => clipVisionKeys(t) !== undefined;

export function buildClipVision(tensors: ReadonlyMap<string, TensorRecord>): BuiltPart & { info: ClipVisionInfo } {
  const keys = clipVisionKeys(tensors);
  if (!keys) throw new ArchError('no CLIP image tower (visual.conv1.weight + visual.proj, or vision_model.* + visual_projection.weight)');
  const g = new GraphBuilder({ name: 'clip_vision' });
  const root = Params.create(g, tensors, '');
  const p = root.at(keys.prefix);
  const [width, , patch] = p.shape(keys.patch) as [number, number, number, number];
  const [positions] = p.shape(keys.positions) as [number, number];
  const grid = Math.round(Math.sqrt(positions - 1));
  if (grid * grid + 1 !== positions) throw new ArchError(`${keys.prefix}${keys.positions}: ${positions} positions is not 1 + a square grid`);
  const heads = clipHeads(width);
  const layers = countLayers(tensors, keys);
  const size = grid * patch;
  const embedDim = projectionDim(root, keys.projection);

  const image = g.input('image', ElemType.FLOAT, ['batch', 3, size, size]);
  const patches = g.conv(image, p.get(keys.patch), undefined, { kernelShape: [patch, patch], strides: [patch, patch] });
  const tokens = g.transpose(g.reshape(patches, [0, width, -1]), [0, 2, 1]);
  // The class token, one per image: [B, 1, W].
  const batch = g.slice(g.shape(image), [0], [1]);
  const cls = g.expand(g.reshape(p.get(keys.classEmbedding), [1, 1, width]), g.concat([batch, g.int64Const([1, width])], 0));
  let h = layerNorm(p, keys.lnPre, g.add(g.concat([cls, tokens], 1), p.get(keys.positions)));
  for (let i = 0; i < layers; i++) h = clipLayer(p, keys.layer(i), h, heads, width);
  const pooled = layerNorm(p, keys.lnPost, g.squeeze(g.slice(h, [0], [1], [1]), [1]));
  g.output('image_embeds', ElemType.FLOAT, ['batch', embedDim], project(root, keys.projection, pooled));
  g.output('pooled', ElemType.FLOAT, ['batch', width], pooled);
  return { g, params: root, info: { layout: keys.layout, width, layers, heads, patch, size, embedDim } };
}
