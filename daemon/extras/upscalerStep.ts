// An upscaler from the list (`upscalerRegistry.ts`) as one native pass: Lanczos/Nearest resize, or the model run
// over tiles (A1111's ESRGAN_tile / ESRGAN_tile_overlap settings). Shared by Extras and the hires fix.
import { upscaleTiled } from '../image/tiles';
import type { UpscalerModels } from '../parts/upscaler';
import type { UpscalerInfo } from '../protocol';
import { resizePass, type UpscalerStep } from './upscale';

export interface UpscalerRun {
  upscalers: UpscalerModels;
  tileSize: number;
  tileOverlap: number;
  signal: AbortSignal;
  /** Tiles done of the image being upscaled (progress). */
  onTile?: (done: number, total: number, upscaler: string) => void;
}

export function upscalerStep(u: UpscalerInfo, run: UpscalerRun): UpscalerStep {
  return {
    name: u.name,
    isNone: u.kind === 'none',
    async pass(img, scale) {
      if (u.kind === 'lanczos' || u.kind === 'nearest') return resizePass(img, scale, u.kind === 'lanczos' ? 'lanczos3' : 'nearest');
      if (u.kind === 'none') return img;
      const net = await run.upscalers.get(u.path!);
      return upscaleTiled(img, net, { tileSize: run.tileSize, overlap: run.tileOverlap, signal: run.signal, onTile: (d, t) => run.onTile?.(d, t, u.name) });
    },
  };
}
