// The VAE as one job uses it: A1111's "VAE type for decode / encode" (Full or TAESD) and tiled decode/encode for
// large images. Returns a view of the model whose vaeDecoder / vaeEncoder are the chosen ones, so every stage
// that decodes or encodes follows the choice without knowing it. Inpainting models' conditioning stays on the
// full VAE, as in A1111 (only its tiling follows the choice).
import { findFixedModelFile, fixedFileNames, folderCandidates, type ModelKind } from '../../models/registry';
import { buildTaesdPart } from '../../models/taesdCache';
import { invalidParam } from '../errors';
import type { SdModel } from '../parts/sdModel';
import { TaesdDecoder, TaesdEncoder } from '../parts/taesd';
import type { ImageEncoder } from '../parts/vae';
import type { DaemonSettings, VaeMethod } from '../protocol';
import { DEFAULT_TILES, TiledDecoder, TiledEncoder, type TileOptions } from './tiledVae';

export interface VaeChoice {
  decode: VaeMethod;
  encode: VaeMethod;
  tiling: DaemonSettings['vaeTiling'];
  modelsRoot: string;
  /** Processing size in pixels ('auto' tiling starts above 1024×1024). */
  width: number;
  height: number;
  tiles?: TileOptions;
}

const AUTO_TILE_PIXELS = 1024 * 1024;

/** The TAESD graph for this model's latents (`part` of the SD 1.x/2.x or the SDXL files), built on first use. */
async function taesdGraph(model: SdModel, root: string, part: 'encoder' | 'decoder'): Promise<string> {
  // SDXL latents (the refiner's too) need taesdxl (A1111 sd_vae_taesd picks by model type).
  const xl = model.kind !== 'sd';
  const kind: ModelKind = part === 'decoder' ? (xl ? 'taesdxlDecoder' : 'taesdDecoder') : xl ? 'taesdxlEncoder' : 'taesdEncoder';
  const file = findFixedModelFile(root, kind);
  if (!file) {
    const where = root ? folderCandidates(root, kind).join(' or ') : 'the models root\'s VAE-approx/ folder (no models root is set)';
    throw invalidParam(`override_settings.sd_vae_${part === 'decoder' ? 'decode' : 'encode'}_method`,
      `VAE type TAESD needs ${fixedFileNames(kind).join(' or ')} in ${where} (A1111's file, from github.com/madebyollin/taesd)`, 'Full, or the TAESD file in place');
  }
  return buildTaesdPart(file, part);
}

export async function withVaeChoice(model: SdModel, c: VaeChoice): Promise<SdModel> {
  const tiled = c.tiling === 'on' || (c.tiling === 'auto' && c.width * c.height > AUTO_TILE_PIXELS);
  if (c.decode === 'Full' && c.encode === 'Full' && !tiled) return model;
  const tiles = c.tiles ?? DEFAULT_TILES;
  const decoder = c.decode === 'TAESD' ? new TaesdDecoder(await model.session(await taesdGraph(model, c.modelsRoot, 'decoder'))) : model.vaeDecoder;
  let taesdEncoder: Promise<ImageEncoder> | undefined;
  const encoder = (): Promise<ImageEncoder> => c.encode === 'TAESD'
    ? (taesdEncoder ??= taesdGraph(model, c.modelsRoot, 'encoder').then(async (m) => new TaesdEncoder(await model.session(m))))
    : model.vaeEncoder();
  const tile = (e: Promise<ImageEncoder>): Promise<ImageEncoder> => (tiled ? e.then((x) => new TiledEncoder(x, tiles)) : e);
  return {
    ...model,
    vaeDecoder: tiled ? new TiledDecoder(decoder, tiles) : decoder,
    vaeEncoder: () => tile(encoder()),
    conditioningEncoder: () => tile(model.conditioningEncoder()),
  };
}
