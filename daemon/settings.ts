import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { DaemonSettings, InterrogateSettings } from './protocol';

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
    executionProvider: (env.SD_STUDIO_PROVIDER as DaemonSettings['executionProvider']) ?? 'cpu',
    threads: 0,
    previewEvery: 10,
    img2imgFixSteps: false,
    randnSource: 'GPU',
    etaNoiseSeedDelta: 0,
    upscalerTileSize: 192,
    upscalerTileOverlap: 8,
    defaultUpscaler: env.SD_STUDIO_UPSCALER ?? 'ESRGAN-Slim 4x',
    defaultFaceRestorer: 'gfpgan',
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
    interrogate: { ...INTERROGATE_DEFAULTS },
  };
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
