// Stage: the hires fix's upscale between the two passes (`StableDiffusionProcessingTxt2Img.sample_hr_pass`): the
// target size (`calculate_target_resolution`), then either the first pass's latents interpolated with a latent
// mode, or its decoded images through an image upscaler and back through the VAE; then A1111's truncation crop
// when both resize sides were given.
import { interpolate, type InterpolateMode } from '../image/interpolate';
import type { RgbImage } from '../image/rgbImage';
import type { InfotextValue } from '../infotext/a1111';
import type { SdModel } from '../parts/sdModel';
import type { Rng } from '../sampling';
import type { ResolvedHires } from '../validate';
import { encodeImage } from './encodeImage';

export interface HiresTarget {
  /** `hr_upscale_to_x` / `hr_upscale_to_y`: the size the upscaler produces. */
  width: number;
  height: number;
  /** Latent columns/rows cropped afterwards (aspect-correct resize to both given sides). */
  truncateX: number;
  truncateY: number;
  /** "Hires upscale" or "Hires resize", as A1111 records it. */
  info: [string, InfotextValue];
}

const floorDiv = (a: number, b: number): number => Math.floor(a / b);

/** `calculate_target_resolution` for a first pass of width × height. */
export function hiresTarget(width: number, height: number, h: Pick<ResolvedHires, 'scale' | 'resizeX' | 'resizeY'>): HiresTarget {
  if (h.resizeX === 0 && h.resizeY === 0) {
    return { width: Math.trunc(width * h.scale), height: Math.trunc(height * h.scale), truncateX: 0, truncateY: 0, info: ['Hires upscale', h.scale] };
  }
  const info: [string, InfotextValue] = ['Hires resize', `${h.resizeX}x${h.resizeY}`];
  if (h.resizeY === 0) return { width: h.resizeX, height: floorDiv(h.resizeX * height, width), truncateX: 0, truncateY: 0, info };
  if (h.resizeX === 0) return { width: floorDiv(h.resizeY * width, height), height: h.resizeY, truncateX: 0, truncateY: 0, info };
  const fitWidth = width / height < h.resizeX / h.resizeY;
  const toX = fitWidth ? h.resizeX : floorDiv(h.resizeY * width, height);
  const toY = fitWidth ? floorDiv(h.resizeX * height, width) : h.resizeY;
  return { width: toX, height: toY, truncateX: floorDiv(toX - h.resizeX, 8), truncateY: floorDiv(toY - h.resizeY, 8), info };
}

export interface HiresLatents {
  /** n × 4 × h × w, the second pass's init latents. */
  latents: Float32Array;
  h: number;
  w: number;
}

/** `samples[:, :, ty//2 : H−(ty+1)//2, tx//2 : W−(tx+1)//2]` for a batch of n latents. */
export function truncateLatents(x: Float32Array, n: number, h: number, w: number, tx: number, ty: number): HiresLatents {
  if (tx === 0 && ty === 0) return { latents: x, h, w };
  const y0 = floorDiv(ty, 2);
  const x0 = floorDiv(tx, 2);
  const H = h - y0 - floorDiv(ty + 1, 2);
  const W = w - x0 - floorDiv(tx + 1, 2);
  const out = new Float32Array(n * 4 * H * W);
  for (let p = 0; p < n * 4; p++) {
    for (let y = 0; y < H; y++) out.set(x.subarray(p * h * w + (y + y0) * w + x0, p * h * w + (y + y0) * w + x0 + W), p * H * W + y * W);
  }
  return { latents: out, h: H, w: W };
}

/** Latent modes: `F.interpolate(samples, size=(H // 8, W // 8), mode, antialias)`, then the truncation. */
export function upscaleLatents(x: Float32Array, n: number, h: number, w: number, target: HiresTarget, mode: { mode: InterpolateMode; antialias: boolean }): HiresLatents {
  const H = floorDiv(target.height, 8);
  const W = floorDiv(target.width, 8);
  const per = 4 * h * w;
  const out = new Float32Array(n * 4 * H * W);
  for (let i = 0; i < n; i++) out.set(interpolate(x.subarray(i * per, (i + 1) * per), 4, h, w, H, W, mode.mode, mode.antialias), i * 4 * H * W);
  return truncateLatents(out, n, H, W, target.truncateX, target.truncateY);
}

/**
 * Image upscalers: each decoded first-pass image resized to the target by `resize` (A1111 `resize_image(0, …,
 * upscaler_name)`), VAE-encoded with the second pass's model, then the truncation. Also returns the upscaled
 * images (9-channel models condition on them).
 */
export async function upscaleImages(
  model: SdModel,
  images: RgbImage[],
  target: HiresTarget,
  resize: (img: RgbImage, w: number, h: number) => Promise<RgbImage>,
  rng: Rng,
  signal: AbortSignal,
): Promise<HiresLatents & { upscaled: RgbImage[] }> {
  const upscaled: RgbImage[] = [];
  const encoded: Float32Array[] = [];
  let h = 0;
  let w = 0;
  for (const img of images) {
    if (signal.aborted) break;
    const big = await resize(img, target.width, target.height);
    upscaled.push(big);
    const enc = await encodeImage(model, big, rng);
    encoded.push(enc.latent);
    h = enc.h;
    w = enc.w;
  }
  const all = new Float32Array(encoded.length * 4 * h * w);
  encoded.forEach((e, i) => all.set(e.subarray(0, 4 * h * w), i * 4 * h * w));
  return { ...truncateLatents(all, encoded.length, h, w, target.truncateX, target.truncateY), upscaled };
}
