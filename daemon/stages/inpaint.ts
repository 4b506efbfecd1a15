// Inpainting as img2img with different stages (A1111 `StableDiffusionProcessingImg2Img.init`; the order is in
// docs/a1111-behaviour.md: Inpainting, step by step): the img2img pipeline asks this file for the
// stages that differ — processed init images and their latents, masked content, the 9-channel conditioning, the
// latent blend, and the composite over the original. Mask loading, geometry, blur and pixel maths live in image/mask/.
import { imageSeeds } from '../seed';
import { invalidParam } from '../errors';
import { loadImage } from '../image/decode';
import type { RgbImage } from '../image/rgbImage';
import type { InfotextValue } from '../infotext/a1111';
import type { SdModel } from '../parts/sdModel';
import { createImageNoise, createRng, type RngSource, type SamplerKind } from '../sampling';
import { encodeImage } from './encodeImage';
import { INPAINT_EXTRA_CHANNELS, inpaintConditioning, isInpaintingModel } from './inpaintConditioning';
import { blurMask } from '../image/mask/blur';
import { compositeOverOriginal } from '../image/mask/composite';
import { onlyMaskedRegion, maskBBox } from '../image/mask/geometry';
import { cropGray, cropRgb, doubleGray, invertGray, type Box, type GrayImage } from '../image/mask/gray';
import { latentMask } from '../image/mask/latentMask';
import { latentBlend } from './latentBlend';
import { loadMask, maskFromAlpha, maskTransparency } from '../image/mask/loadMask';
import { pilResizeGray } from '../image/mask/pilResize';
import { resizeMask } from '../image/mask/resizeMask';
import { applyLatentContent, MASKED_CONTENT_NAMES } from './maskedContent';
import { fillMasked } from '../image/mask/fill';
import { resizeForImg2Img } from '../image/resize';
import { adaptiveOverlayMask, softOverlayMask } from './softInpaint';
import type { ResolvedImg2Img } from '../validate';

/** What one init image became: the picture the model works on, its latent, and how it goes back. */
interface PreparedInit {
  latent: Float32Array;
  /** Processing-size mask (A1111 `image_mask`/`latent_mask`) and its latent version (1 = generate). */
  mask?: GrayImage;
  latmask?: Float32Array;
  /** 5×h×w for 9-channel models. */
  conditioning?: Float32Array;
  /** The original the result is composited over, and the overlay mask at its size. */
  original?: RgbImage;
  maskForOverlay?: GrayImage;
  /** Only masked: where the processed image goes back. */
  paste?: Box;
}

/** The stages img2img runs differently for a mask or an inpainting model. */
export interface ImageStages {
  /** Start latents of batch images first … first+n−1 (masked content applied). */
  batchInits(first: number, n: number): Array<Float32Array | undefined>;
  /** Extra `denoise` inputs for that batch: 9-channel conditioning and the latent blend. */
  denoiseHooks(first: number, n: number): { imageConditioning?: { data: Float32Array; channels: number }; blendDenoised?: (d: Float32Array, s: number) => void; blendInput?: (x: Float32Array, s: number) => void };
  /** After sampling (latents as the VAE gets them), in place: the final latent blend. */
  afterSampling(x: Float32Array, first: number, n: number): void;
  /** Decoded images → outputs: composited over the original (pasted back for only masked). */
  finish(decoded: RgbImage[], sampled: Float32Array, first: number): Promise<RgbImage[]>;
  infotext: { conditionalMaskWeight?: number; extra: Array<[string, InfotextValue]> };
}

/** The mask at the source's resolution: binarise, transparency, invert, blur, in A1111's order (`create_binary_mask`,
 * then `StableDiffusionProcessingImg2Img.init`). */
async function sourceMask(p: ResolvedImg2Img, round: boolean): Promise<GrayImage> {
  const ip = p.inpaint;
  const raw = ip.maskFromAlpha ? await maskFromAlpha(p.initImages[0]!, 'init_images[0]', round) : await loadMask(ip.mask!, 'mask', round);
  let m = maskTransparency(raw, ip.maskAlpha);
  if (ip.invert) m = invertGray(m);
  return blurMask(m, ip.blurX, ip.blurY);
}

/** img2img's extra infotext keys for masks, VAE encoder, noise multiplier and soft inpainting (A1111 insertion order). */
function extraInfotext(p: ResolvedImg2Img, masked: boolean): Array<[string, InfotextValue]> {
  const ip = p.inpaint;
  const out: Array<[string, InfotextValue]> = [];
  if (masked) {
    if (ip.invert) out.push(['Mask mode', 'Inpaint not masked']);
    if (ip.blur !== undefined && ip.blur > 0) out.push(['Mask blur', ip.blur]);
    if (ip.fullRes) out.push(['Inpaint area', 'Only masked'], ['Masked area padding', ip.padding]);
    if (ip.fill !== 1) out.push(['Masked content', MASKED_CONTENT_NAMES[ip.fill]]);
  }
  if (p.isImg2Img && p.vaeEncode !== 'Full') out.push(['VAE Encoder', p.vaeEncode]);
  if (p.isImg2Img && p.initialNoiseMultiplier !== 1) out.push(['Noise multiplier', p.initialNoiseMultiplier]);
  if (masked && ip.soft) {
    const s = ip.soft;
    out.push(['Soft inpainting enabled', true], ['Soft inpainting schedule bias', s.power], ['Soft inpainting preservation strength', s.scale],
      ['Soft inpainting transition contrast boost', s.detailPreservation], ['Soft inpainting mask influence', s.maskInfluence],
      ['Soft inpainting difference threshold', s.differenceThreshold], ['Soft inpainting difference contrast', s.differenceContrast]);
  }
  return out;
}

/** The keys an inpaint job's infotext carries (engines that inpaint elsewhere record the same settings). */
export const maskedImg2ImgExtra = (p: ResolvedImg2Img): Array<[string, InfotextValue]> => extraInfotext(p, true);

/** The mask an inpaint job uses, at the source's resolution: binarised, transparency, invert and blur applied. */
export const inpaintSourceMask = (p: ResolvedImg2Img): Promise<GrayImage> => sourceMask(p, !p.inpaint.soft);

/** Infotext keys img2img adds when it runs without these stages (only the noise multiplier). */
export const plainImg2ImgExtra = (p: ResolvedImg2Img): Array<[string, InfotextValue]> => extraInfotext(p, false);

/**
 * Prepare the inpaint stages, or undefined when img2img runs as it is (no mask and a 4-channel UNet).
 * `h`×`w` is the latent size of the W×H processing size.
 */
export async function prepareImageStages(p: ResolvedImg2Img, model: SdModel, kind: SamplerKind, h: number, w: number, rngSource: RngSource): Promise<ImageStages | undefined> {
  const ip = p.inpaint;
  const masked = ip.mask !== undefined || ip.maskFromAlpha;
  const nine = isInpaintingModel(model);
  if (!masked && !nine) return undefined;
  if (masked && p.initImages.length === 0) throw invalidParam(ip.mask !== undefined ? 'mask' : 'mask_from_alpha', 'inpainting needs an init image (init_images is empty)');
  if (masked && p.resizeMode === 3) throw invalidParam('resize_mode', 'latent upscale (3) cannot be combined with a mask', '0, 1 or 2 when inpainting');
  const round = !ip.soft;
  const { width: W, height: H } = p;
  const blurred = masked ? await sourceMask(p, round) : undefined;
  if (blurred && !maskBBox(blurred)) throw invalidParam(ip.mask !== undefined ? 'mask' : 'mask_from_alpha', 'the mask is empty (no white pixel): nothing to inpaint. White marks the area to inpaint; inpainting_mask_invert inpaints the black area instead');

  const encRng = createRng(rngSource, p.seed);
  const condRng = createRng(rngSource, p.seed + 1n);
  const prepared: PreparedInit[] = [];
  for (let j = 0; j < p.initImages.length; j++) {
    const src = await loadImage(p.initImages[j]!, `init_images[${j}]`);
    const out: PreparedInit = { latent: new Float32Array(0) };
    let img: RgbImage;
    if (blurred) {
      const full = blurred.width === src.width && blurred.height === src.height ? blurred : pilResizeGray(blurred, src.width, src.height, 'lanczos');
      if (ip.fullRes) {
        const region = onlyMaskedRegion(full, ip.padding, W, H)!;
        out.mask = resizeMask(cropGray(full, region), 2, W, H);
        img = await resizeForImg2Img(cropRgb(src, region), 2, W, H);
        Object.assign(out, { original: src, maskForOverlay: full, paste: region });
      } else {
        out.mask = resizeMask(full, p.resizeMode, W, H);
        img = await resizeForImg2Img(src, p.resizeMode, W, H);
        Object.assign(out, { original: img, maskForOverlay: doubleGray(out.mask) });
      }
      if (ip.fill !== 1) img = fillMasked(img, out.mask);
      out.latmask = latentMask(out.mask, h, w, round, ip.latentMask);
    } else {
      img = await resizeForImg2Img(src, p.resizeMode, W, H);
    }
    out.latent = (await encodeImage(model, img, encRng)).latent;
    if (nine) out.conditioning = await inpaintConditioning(model, img, out.mask, ip.maskWeight, round, h, w, condRng);
    prepared.push(out);
  }
  const txt2imgCond = nine && prepared.length === 0 ? await inpaintConditioning(model, undefined, undefined, ip.maskWeight, round, h, w, condRng) : undefined;

  // "latent noise" reuses the first noise of the first batch's seeds for every batch (docs/a1111-behaviour.md: Quirks
  // kept on purpose).
  const per = 4 * h * w;
  let firstNoise: Float32Array | undefined;
  const contentNoise = (i: number): Float32Array => {
    firstNoise ??= createImageNoise({
      source: rngSource, shape: [4, h, w], ensd: p.ensd, subseedStrength: p.subseedStrength, seedResizeFromH: p.seedResizeFromH, seedResizeFromW: p.seedResizeFromW,
      ...imageSeeds(p, 0, p.batchSize),
    }).first();
    return firstNoise.subarray(i * per, (i + 1) * per);
  };
  const at = (first: number, i: number): PreparedInit | undefined => prepared[(first + i) % Math.max(1, prepared.length)];
  const startOf = (first: number, i: number): Float32Array | undefined => {
    const pr = at(first, i);
    if (!pr) return undefined;
    return pr.latmask && (ip.fill === 2 || ip.fill === 3) ? applyLatentContent(ip.fill, pr.latent, pr.latmask, ip.fill === 2 ? contentNoise(i) : undefined) : pr.latent;
  };
  const batchOf = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

  return {
    batchInits: (first, n) => batchOf(n, (i) => startOf(first, i)),
    denoiseHooks(first, n) {
      const hooks: ReturnType<ImageStages['denoiseHooks']> = {};
      if (nine) {
        const data = new Float32Array(n * INPAINT_EXTRA_CHANNELS * h * w);
        for (let i = 0; i < n; i++) data.set(at(first, i)?.conditioning ?? txt2imgCond!, i * INPAINT_EXTRA_CHANNELS * h * w);
        hooks.imageConditioning = { data, channels: INPAINT_EXTRA_CHANNELS };
      }
      if (blurred) Object.assign(hooks, latentBlend(kind, batchOf(n, (i) => startOf(first, i)!), batchOf(n, (i) => at(first, i)!.latmask!), ip.soft));
      return hooks;
    },
    afterSampling(x, first, n) {
      if (blurred) latentBlend(kind, batchOf(n, (i) => startOf(first, i)!), batchOf(n, (i) => at(first, i)!.latmask!), ip.soft).final(x);
    },
    async finish(decoded, sampled, first) {
      if (!blurred) return decoded;
      return Promise.all(decoded.map(async (gen, i) => {
        const pr = at(first, i)!;
        let overlayMask = pr.maskForOverlay!;
        if (ip.soft) {
          const soft = adaptiveOverlayMask(ip.soft, pr.latmask!, startOf(first, i)!, sampled.subarray(i * per, (i + 1) * per), h, w, W, H);
          overlayMask = softOverlayMask(soft, overlayMask, pr.paste);
        }
        return compositeOverOriginal(gen, pr.original!, overlayMask, pr.paste, ip.colourMatch);
      }));
    },
    infotext: { conditionalMaskWeight: nine ? ip.maskWeight : undefined, extra: extraInfotext(p, masked) },
  };
}
