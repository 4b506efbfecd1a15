// The Extras tab (A1111 `modules/postprocessing.py: run_postprocessing`): for each input — load, upscale (stage),
// GFPGAN then CodeFormer (face stage), carry the source's PNG info and add the "extras" text, save. A thin composition:
// the maths lives in stages/, files and metadata in image/, infotext/ and output/. A bad input is reported in its own
// entry; the batch goes on.
import { basename, extname, join } from 'node:path';
import { readdirSync } from 'node:fs';
import { buildInfotext, type InfotextValue } from '../infotext/a1111';
import { withPngText } from '../infotext/pngChunks';
import { checkWritableFolder } from '../../models/formats/outputChecks';
import { readGenerationInfoFile } from '../infotext/readInfo';
import { encodePng } from '../image/encode';
import { loadImage } from '../image/decode';
import type { RgbImage } from '../image/rgbImage';
import { CancelledError, RpcError, throwIfAborted } from '../errors';
import type { JobContext } from '../jobs';
import { nextSequenceNumber } from '../output/filenames';
import { NAME_MAX_BYTES, fitUtf8, writeNewFileSync } from '../../models/formats/atomicFile';
import type { UpscalerModels } from '../parts/upscaler';
import { ErrorCodes, type ExtrasImageResult, type ExtrasResult, type UpscalerInfo } from '../protocol';
import type { FaceHooks, FaceRestorer } from '../extras/faceRestore';
import { upscaleStage, type UpscaleSettings, type UpscalerStep } from '../extras/upscale';
import { upscalerStep } from '../extras/upscalerStep';

/** Params after defaults and checks (handlers/extras.ts makes them). */
export interface ResolvedExtras {
  /** ImageRef and the label reported for it. */
  inputs: Array<{ ref: string; label: string; file?: string }>;
  upscale: UpscaleSettings;
  upscaler1: UpscalerInfo;
  upscaler2?: UpscalerInfo;
  upscaler2Visibility: number;
  gfpganVisibility: number;
  codeformerVisibility: number;
  codeformerWeight: number;
  /** Exact folder with source names (batch), else `<outRoot>/extras-images/NNNNN.png`. */
  outputDir?: string;
  outRoot: string;
  save: boolean;
  send: boolean;
  tileSize: number;
  tileOverlap: number;
  modelsRoot: string;
  /** Debug folder for aligned / restored face crops. */
  facesDebugDir?: string;
}

/** A remote engine that runs the model work (the pipeline's sizes, crops, blends, infotext and saving stay here). */
export interface RemoteExtras {
  /** One upscaler pass with a model the engine knows by `name`; at least its native scale. */
  upscale(img: RgbImage, name: string, scale: number, signal: AbortSignal): Promise<RgbImage>;
  /** Face restoration at `visibility` (blended); absent when the engine has none. */
  restoreFaces?(img: RgbImage, model: 'gfpgan' | 'codeformer', visibility: number, codeformerWeight: number, signal: AbortSignal): Promise<RgbImage>;
}

export interface ExtrasDeps {
  upscalers: UpscalerModels;
  faces: FaceRestorer;
  remote?: RemoteExtras;
}

export async function runExtras(p: ResolvedExtras, job: JobContext, deps: ExtrasDeps): Promise<ExtrasResult> {
  if (p.save) await checkWritableFolder(p.outputDir ?? p.outRoot);
  const images: ExtrasImageResult[] = [];
  let index = 0;
  const stepFor = (u: UpscalerInfo): UpscalerStep => {
    const local = upscalerStep(u, {
      upscalers: deps.upscalers, tileSize: p.tileSize, tileOverlap: p.tileOverlap, signal: job.signal,
      onTile: (d, t, name) => job.report(d, t, `image ${index + 1}/${p.inputs.length} · ${name} · tile ${d}/${t}`),
    });
    const remote = deps.remote;
    // A remote engine runs the upscaler models; resizes stay here.
    if (!remote || u.kind === 'lanczos' || u.kind === 'nearest' || u.kind === 'none') return local;
    return { ...local, pass: (img, scale) => remote.upscale(img, u.name, scale, job.signal) };
  };
  const up1 = stepFor(p.upscaler1);
  const up2 = p.upscaler2 ? stepFor(p.upscaler2) : undefined;
  // Face stages report while a graph is built or faces are restored; notices (fallback detector) once per job.
  const notices = new Set<string>();
  const hooks: FaceHooks = { report: (m) => job.report(index, p.inputs.length, `image ${index + 1}/${p.inputs.length} · ${m}`), notice: (m) => notices.add(m) };

  for (; index < p.inputs.length; index++) {
    throwIfAborted(job.signal);
    const input = p.inputs[index]!;
    try {
      images.push(await processOne(input, p, job, { restorer: deps.faces, hooks }, up1, up2, deps.remote));
    } catch (e) {
      if (e instanceof CancelledError || job.signal.aborted) throw new CancelledError();
      images.push({ source: input.label, error: e instanceof RpcError || e instanceof Error ? e.message : String(e) });
    }
    job.report(index + 1, p.inputs.length, `image ${index + 1}/${p.inputs.length} done`);
  }
  return { jobId: job.id, images, failed: images.filter((i) => i.error !== undefined).length, ...(notices.size ? { notices: [...notices] } : {}) };
}

async function processOne(
  input: ResolvedExtras['inputs'][number], p: ResolvedExtras, job: JobContext, faces: { restorer: FaceRestorer; hooks: FaceHooks }, up1: UpscalerStep, up2: UpscalerStep | undefined,
  remote?: RemoteExtras,
): Promise<ExtrasImageResult> {
  let image: RgbImage = await loadImage(input.ref, input.label);
  const info = new Map<string, InfotextValue>();
  image = await upscaleStage(image, up1, up2, p.upscaler2Visibility, p.upscale, info, () => job.signal.aborted);
  throwIfAborted(job.signal);
  // A1111 script order: upscale (1000), GFPGAN (2000), CodeFormer (3000); each skipped at visibility 0.
  const face = { codeformerWeight: p.codeformerWeight, modelsRoot: p.modelsRoot, ...(p.facesDebugDir ? { debugDir: p.facesDebugDir } : {}) };
  const restore = (img: RgbImage, model: 'gfpgan' | 'codeformer', visibility: number): Promise<RgbImage> => {
    if (!remote) return faces.restorer.restore(img, { model, visibility, ...face }, job.signal, faces.hooks);
    if (!remote.restoreFaces) throw new RpcError(ErrorCodes.InvalidParams, `${model}_visibility: this backend has no face restorer`, { field: `${model}_visibility` });
    return remote.restoreFaces(img, model, visibility, p.codeformerWeight, job.signal);
  };
  if (p.gfpganVisibility > 0) {
    image = await restore(image, 'gfpgan', p.gfpganVisibility);
    info.set('GFPGAN visibility', p.gfpganVisibility);
  }
  if (p.codeformerVisibility > 0) {
    image = await restore(image, 'codeformer', p.codeformerVisibility);
    info.set('CodeFormer visibility', p.codeformerVisibility);
    info.set('CodeFormer weight', p.codeformerWeight);
  }
  const extras = buildInfotext('', '', [...info]);
  const png = withPngText(await encodePng(image), [...carriedText(input.file), ...(extras ? [['extras', extras] as [string, string]] : [])]);
  const path = p.save ? saveOutput(png, input, p) : undefined;
  return { source: input.label, ...(path ? { path } : {}), width: image.width, height: image.height, info: extras, ...(p.send ? { png: Buffer.from(png).toString('base64') } : {}) };
}

/**
 * The source's metadata texts, as A1111 passes `existing_info` to save_image: every PNG text entry, and the
 * infotext of a JPEG/WebP (EXIF UserComment) as "parameters". Its old "extras" text is replaced by ours.
 */
function carriedText(file: string | undefined): Array<[string, string]> {
  if (!file) return [];
  try {
    const meta = readGenerationInfoFile(file);
    const out: Array<[string, string]> = Object.entries(meta.raw).filter(([k]) => !k.includes(':') && k !== 'extras');
    if (meta.infotext !== null && !out.some(([k]) => k === 'parameters')) out.push(['parameters', meta.infotext]);
    return out;
  } catch {
    return [];
  }
}

/** Batch with an output folder: the source's name (A1111 use_original_name_batch), never over an existing file. */
function saveOutput(png: Uint8Array, input: ResolvedExtras['inputs'][number], p: ResolvedExtras): string {
  if (p.outputDir && input.file) {
    const stem = fitUtf8(basename(input.file, extname(input.file)), NAME_MAX_BYTES - 4 - 6); // room for "-NNNNN.png"
    for (let n = 0; n < 10000; n++) {
      const path = join(p.outputDir, `${stem}${n ? `-${n}` : ''}.png`);
      if (writeNewFileSync(path, png)) return path;
    }
    throw new Error(`no free file name for ${stem}.png in ${p.outputDir}`);
  }
  const dir = p.outputDir ?? join(p.outRoot, 'extras-images');
  let existing: string[] = [];
  try {
    existing = readdirSync(dir);
  } catch {
    // created by the first write
  }
  for (let n = nextSequenceNumber(existing); ; n++) {
    const path = join(dir, `${String(n).padStart(5, '0')}.png`);
    if (writeNewFileSync(path, png)) return path;
  }
}
