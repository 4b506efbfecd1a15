// A finished image from a remote engine, saved as a local job saves its own: A1111's folder layout and names,
// written atomically, with the infotext in the PNG's `parameters` chunk (the remote's, or one built here).
import { parseGenerationParameters } from '../infotext/a1111';
import { withPngText } from '../infotext/pngChunks';
import type { GeneratedImage } from '../protocol';
import { saveImage, type SaveTarget } from './save';
import { seedJson } from '../seed';

/** Width and height from a PNG's IHDR. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  if (png.length < 24 || png[12] !== 0x49 || png[13] !== 0x48 || png[14] !== 0x44 || png[15] !== 0x52) throw new Error('not a PNG (no IHDR)');
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

const num = (v: string | undefined): number | undefined => (v !== undefined && Number.isFinite(Number(v)) ? Number(v) : undefined);

export interface RemoteImageOutput {
  target?: SaveTarget;
  send: boolean;
  /** Position in the job (for [batch_number] / [generation_number] names). */
  index: number;
  batchSize: number;
}

export function saveRemoteImage(png: Uint8Array, infotext: string, seed: bigint, out: RemoteImageOutput): GeneratedImage {
  const bytes = withPngText(png, [['parameters', infotext]]);
  const { width, height } = pngSize(bytes);
  const image: GeneratedImage = { seed: seedJson(seed), width, height, infotext };
  if (out.target) {
    const p = parseGenerationParameters(infotext);
    const f = p.fields;
    image.path = saveImage(out.target, {
      seed, steps: num(f['Steps']) ?? 0, cfg: num(f['CFG scale']) ?? 0, width, height, sampler: f['Sampler'] ?? '', scheduler: f['Schedule type'] ?? 'Automatic',
      ...(f['Model hash'] ? { modelHash: f['Model hash'] } : {}), ...(f['Model'] ? { modelName: f['Model'] } : {}),
      prompt: p.prompt, negativePrompt: p.negativePrompt, denoising: num(f['Denoising strength']),
      batchNumber: out.index % out.batchSize, batchSize: out.batchSize, generationNumber: out.index + 1, date: new Date(),
    }, bytes);
  }
  if (out.send) image.png = Buffer.from(bytes).toString('base64');
  return image;
}
