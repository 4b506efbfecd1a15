import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { BackendConfig, DaemonSettings, InterrogateSettings } from './protocol';

/** A1111's Interrogate settings defaults (shared_options.py), plus the WD14 tagger extension's threshold. */
export const INTERROGATE_DEFAULTS: InterrogateSettings = {
  keepModelsInMemory: false, returnRanks: false, clipNumBeams: 1, clipMinLength: 24, clipMaxLength: 48, clipDictLimit: 1500,
  clipSkipCategories: [], deepbooruThreshold: 0.5, deepbooruSortAlpha: true, deepbooruUseSpaces: true, deepbooruEscape: true,
  deepbooruFilterTags: '', wd14Threshold: 0.35, wd14Model: '',
};

/** Defaults, then environment (for the CLI and headless use); clients override with `sd/settings.update`. */
export function defaultSettings(env: NodeJS.ProcessEnv = process.env): DaemonSettings {
  return {
    modelsRoot: env.SD_STUDIO_MODELS_ROOT ?? '',
    model: env.SD_STUDIO_MODEL ?? '',
    outputDir: env.SD_STUDIO_OUTPUT_DIR ?? join(process.cwd(), 'outputs'),
    filenamePattern: '',
    directoryPattern: '[date]',
    executionProvider: (env.SD_STUDIO_PROVIDER as DaemonSettings['executionProvider']) ?? 'auto',
    threads: 0,
    previewEvery: 10,
    img2imgFixSteps: false,
    randnSource: 'GPU',
    etaNoiseSeedDelta: 0,
    upscalerTileSize: 192,
    upscalerTileOverlap: 8,
    defaultUpscaler: env.SD_STUDIO_UPSCALER ?? 'ESRGAN-Slim 4x',
    defaultFaceRestorer: 'codeformer',
    sdVae: env.SD_STUDIO_VAE ?? 'Automatic',
    previewMethod: env.SD_STUDIO_PREVIEW === 'taesd' ? 'taesd' : 'cheap',
    samplesFormat: 'png',
    gridFormat: 'png',
    jpegQuality: 80,
    webpLossless: false,
    saveTxt: false,
    gridSaveTxt2Img: true,
    gridSaveImg2Img: true,
    saveBeforeFaceRestoration: false,
    saveBeforeHighresFix: false,
    saveBeforeColorCorrection: false,
    img2imgColorCorrection: false,
    stylesFile: env.SD_STUDIO_STYLES ?? '',
    backends: env.SD_STUDIO_BACKENDS ? readBackends(env.SD_STUDIO_BACKENDS) : [],
    cacheLimitGB: env.SD_STUDIO_CACHE_LIMIT_GB && Number.isFinite(Number(env.SD_STUDIO_CACHE_LIMIT_GB)) ? Number(env.SD_STUDIO_CACHE_LIMIT_GB) : 10,
    interrogate: { ...INTERROGATE_DEFAULTS },
    sdxlCropTop: 0,
    sdxlCropLeft: 0,
    sdxlRefinerHighAestheticScore: 6,
    sdxlRefinerLowAestheticScore: 2.5,
    tokenMergingRatio: 0,
    sMinUncond: 0,
    vaeDecodeMethod: 'Full',
    vaeEncodeMethod: 'Full',
    vaeTiling: 'auto',
    unetPrecision: env.SD_STUDIO_UNET_PRECISION === 'int8' ? 'int8' : 'fp32',
  };
}

/**
 * The `backends` setting outside VS Code: JSON text (`[{"name": "gpu", "kind": "a1111", "url": "http://…"}]`) or
 * the path of a file holding it (env SD_STUDIO_BACKENDS, the CLI's --backends). Shape errors name the entry.
 */
export function readBackends(textOrFile: string): BackendConfig[] {
  const trimmed = textOrFile.trim();
  const source = trimmed.startsWith('[') ? 'SD_STUDIO_BACKENDS' : textOrFile;
  let list: unknown;
  try {
    list = JSON.parse(trimmed.startsWith('[') ? trimmed : existsSync(textOrFile) ? readFileSync(textOrFile, 'utf8') : '');
  } catch (e) {
    throw new Error(`${source}: ${existsSync(textOrFile) || trimmed.startsWith('[') ? `not JSON (${(e as Error).message})` : 'no such file'}`);
  }
  if (!Array.isArray(list)) throw new Error(`${source}: expected a JSON list of backends`);
  return list.map((b: Partial<BackendConfig>, i) => {
    if (typeof b !== 'object' || b === null || typeof b.name !== 'string' || !b.name) throw new Error(`${source}: backend ${i}: expected {"name", "kind", "url"}`);
    if (b.kind !== 'local' && b.kind !== 'a1111' && b.kind !== 'comfyui') throw new Error(`${source}: backend "${b.name}": kind must be local, a1111 or comfyui`);
    if (b.kind !== 'local' && (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url))) throw new Error(`${source}: backend "${b.name}": url must be http(s)://host:port`);
    return { name: b.name, kind: b.kind, ...(b.url ? { url: b.url } : {}), ...(typeof b.auth === 'string' && b.auth ? { auth: b.auth } : {}) };
  });
}

/**
 * Physical cores (ONNX Runtime's intra-op threads should not exceed them: SMT siblings share FPUs).
 * Linux: count distinct (package, core) pairs in sysfs; elsewhere fall back to Node's logical count.
 */
export function physicalCores(): number {
  try {
    const base = '/sys/devices/system/cpu';
    const cores = new Set<string>();
    for (const name of readdirSync(base)) {
      if (!/^cpu\d+$/.test(name)) continue;
      const topo = join(base, name, 'topology');
      const pkg = readFileSync(join(topo, 'physical_package_id'), 'utf8').trim();
      const core = readFileSync(join(topo, 'core_id'), 'utf8').trim();
      cores.add(`${pkg}:${core}`);
    }
    if (cores.size > 0) return cores.size;
  } catch {
    // not Linux, or sysfs hidden: fall through
  }
  return Math.max(1, cpus().length);
}
