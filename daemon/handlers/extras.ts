import { resolve } from 'node:path';
import { invalidParam } from '../errors';
import { imageInputs } from './imageInputs';
import { runExtras, type ResolvedExtras } from '../pipelines/extras';
import type { DaemonSettings, ExtrasParams, UpscalerInfo } from '../protocol';
import type { DaemonServer } from '../server';
import type { Services } from '../services';
import type { BackendRouter } from '../backends/router';
import { findUpscaler, listUpscalers } from '../extras/upscalerRegistry';

/**
 * `sd/extras` (a job on the local worker, or with `backend` the named engine runs the models) and
 * `sd/upscalers.list` (quick). Upscaler sessions stay loaded.
 */
export function registerExtrasHandlers(server: DaemonServer, services: Services, router: BackendRouter): void {
  const { upscalers, faces } = services;
  server.onRequest('sd/upscalers.list', (_p, { settings }) => ({ upscalers: listUpscalers(settings.modelsRoot), defaultUpscaler: settings.defaultUpscaler }));
  server.onJobRequest(
    'sd/extras',
    'extras',
    (params, { job, settings }) => {
      const remote = router.remote(job.lane)?.extras;
      return runExtras(resolveExtras(params, settings, remote !== undefined), job, { upscalers, faces, ...(remote ? { remote } : {}) });
    },
    (params) => router.lanesForNamed(params.backend),
  );
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function num(p: ExtrasParams, field: keyof ExtrasParams, def: number, min: number, max: number): number {
  const v = p[field];
  if (v === undefined) return def;
  if (!isNum(v) || v < min || v > max) throw invalidParam(field, `expected a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

const PIXEL_UPSCALERS: Record<string, UpscalerInfo['kind']> = { none: 'none', lanczos: 'lanczos', nearest: 'nearest' };

function upscaler(name: string, field: string, settings: DaemonSettings, remote: boolean): UpscalerInfo {
  // On a remote engine a model upscaler is the engine's, by its name; Lanczos and Nearest stay pixel work here.
  if (remote) return { name, kind: PIXEL_UPSCALERS[name.toLowerCase()] ?? 'model' };
  const u = findUpscaler(name, settings.modelsRoot);
  if (!u) {
    const known = listUpscalers(settings.modelsRoot).map((x) => x.name);
    throw invalidParam(field, `no upscaler named "${name}"`, known.join(' | '));
  }
  return u;
}

/** Params → what the pipeline runs, with A1111's defaults; every error names its field. */
export function resolveExtras(p: ExtrasParams, settings: DaemonSettings, remote = false): ResolvedExtras {
  // A1111 listfiles: every file of input_dir; non-images fail one by one.
  const inputs: ResolvedExtras['inputs'] = imageInputs(p.images, p.input_dir);
  if (inputs.length === 0) throw invalidParam('images', 'no input images (give images or input_dir)');
  const mode = p.resize_mode ?? 0;
  if (mode !== 0 && mode !== 1) throw invalidParam('resize_mode', 'expected 0 (scale by) or 1 (scale to)', '0 | 1');
  const up1 = upscaler(p.upscaler_1 ?? settings.defaultUpscaler, 'upscaler_1', settings, remote);
  const faceDefault = num(p, 'face_visibility', 0, 0, 1);
  const gfpganDefault = settings.defaultFaceRestorer === 'gfpgan' ? faceDefault : 0;
  const codeformerDefault = settings.defaultFaceRestorer === 'codeformer' ? faceDefault : 0;
  const up2 = p.upscaler_2 !== undefined && p.upscaler_2 !== 'None' ? upscaler(p.upscaler_2, 'upscaler_2', settings, remote) : undefined;
  return {
    inputs,
    upscale: {
      mode: mode === 1 ? 'to' : 'by',
      scaleBy: num(p, 'upscaling_resize', 4, 1, 8),
      width: num(p, 'upscaling_resize_w', 512, 64, 8192),
      height: num(p, 'upscaling_resize_h', 512, 64, 8192),
      crop: p.upscaling_crop ?? true,
      maxSideLength: num(p, 'max_side_length', 0, 0, 65536),
    },
    upscaler1: up1,
    ...(up2 ? { upscaler2: up2 } : {}),
    upscaler2Visibility: num(p, 'extras_upscaler_2_visibility', 0, 0, 1),
    gfpganVisibility: num(p, 'gfpgan_visibility', gfpganDefault, 0, 1),
    codeformerVisibility: num(p, 'codeformer_visibility', codeformerDefault, 0, 1),
    codeformerWeight: num(p, 'codeformer_weight', 0, 0, 1),
    ...(p.output_dir ? { outputDir: resolve(p.output_dir) } : {}),
    ...(p.faces_debug_dir ? { facesDebugDir: resolve(p.faces_debug_dir) } : {}),
    outRoot: resolve(p.outdir ?? settings.outputDir),
    save: p.save_images ?? true,
    send: p.send_images ?? false,
    tileSize: Math.max(0, Math.floor(settings.upscalerTileSize)),
    tileOverlap: Math.max(0, Math.floor(settings.upscalerTileOverlap)),
    modelsRoot: settings.modelsRoot,
  };
}
