import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { invalidParam } from './errors';
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

type Check = (field: string, v: unknown) => void;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const text = (max: number, nonEmpty = false): Check => (field, v) => {
  if (typeof v !== 'string') throw invalidParam(field, `expected a string, got ${JSON.stringify(v)}`, 'string');
  if (nonEmpty && v.trim() === '') throw invalidParam(field, 'must not be empty');
  if (v.length > max) throw invalidParam(field, `${v.length} characters is too long`, `at most ${max}`);
};
const int = (min: number, max: number): Check => (field, v) => {
  if (!isInt(v)) throw invalidParam(field, `expected an integer, got ${JSON.stringify(v)}`, `integer ${min}..${max}`);
  if (v < min || v > max) throw invalidParam(field, `${v} is out of range`, `integer ${min}..${max}`);
};
const oneOf = (values: readonly string[]): Check => (field, v) => {
  if (typeof v !== 'string' || !values.includes(v)) throw invalidParam(field, `unknown value ${JSON.stringify(v)}`, values.join(' | '));
};
const bool: Check = (field, v) => {
  if (typeof v !== 'boolean') throw invalidParam(field, `expected true or false, got ${JSON.stringify(v)}`, 'boolean');
};
const num = (min: number, max: number): Check => (field, v) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidParam(field, `expected a number, got ${JSON.stringify(v)}`, `number ${min}..${max}`);
  if (v < min || v > max) throw invalidParam(field, `${v} is out of range`, `number ${min}..${max}`);
};
/** An object whose every field is checked (all present: the object replaces the whole setting). */
const record = <T extends object>(checks: Record<keyof T, Check>): Check => (field, v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidParam(field, `expected an object, got ${JSON.stringify(v)}`);
  for (const key of Object.keys(v)) if (!Object.prototype.hasOwnProperty.call(checks, key)) throw invalidParam(`${field}.${key}`, 'unknown field', Object.keys(checks).join(', '));
  for (const [key, check] of Object.entries(checks) as Array<[string, Check]>) check(`${field}.${key}`, (v as Record<string, unknown>)[key]);
};
const PATH = 4096;

const INTERROGATE_CHECKS: Record<keyof InterrogateSettings, Check> = {
  keepModelsInMemory: bool, returnRanks: bool, clipNumBeams: int(1, 16), clipMinLength: int(1, 128), clipMaxLength: int(1, 256),
  clipDictLimit: int(0, 1 << 24),
  clipSkipCategories: (field, v) => {
    if (!Array.isArray(v)) throw invalidParam(field, `expected a list of names, got ${JSON.stringify(v)}`);
    v.forEach((x, i) => text(PATH)(`${field}[${i}]`, x));
  },
  deepbooruThreshold: num(0, 1), deepbooruSortAlpha: bool, deepbooruUseSpaces: bool, deepbooruEscape: bool,
  deepbooruFilterTags: text(1 << 16), wd14Threshold: num(0, 1), wd14Model: text(PATH),
};

/** One check per setting: adding a setting to DaemonSettings without a check here does not compile. */
const SETTING_CHECKS: Record<keyof DaemonSettings, Check> = {
  modelsRoot: text(PATH),
  model: text(PATH),
  outputDir: text(PATH, true),
  filenamePattern: text(1024),
  directoryPattern: text(1024),
  executionProvider: oneOf(['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu']),
  threads: int(0, 1024),
  previewEvery: int(-1, 1000),
  img2imgFixSteps: bool,
  randnSource: oneOf(['GPU', 'CPU', 'NV']),
  etaNoiseSeedDelta: int(-(2 ** 32 - 1), 2 ** 32 - 1),
  upscalerTileSize: (field, v) => {
    int(0, 8192)(field, v);
    if ((v as number) > 0 && (v as number) < 16) throw invalidParam(field, `${v as number} is out of range`, '0 (no tiling) or 16..8192');
  },
  upscalerTileOverlap: int(0, 512),
  defaultUpscaler: text(PATH, true),
  defaultFaceRestorer: oneOf(['gfpgan', 'codeformer']),
  sdVae: text(PATH),
  previewMethod: oneOf(['cheap', 'taesd']),
  samplesFormat: oneOf(['png', 'jpg', 'webp']),
  gridFormat: oneOf(['png', 'jpg', 'webp']),
  jpegQuality: int(1, 100),
  webpLossless: bool,
  saveTxt: bool,
  gridSaveTxt2Img: bool,
  gridSaveImg2Img: bool,
  saveBeforeFaceRestoration: bool,
  saveBeforeHighresFix: bool,
  saveBeforeColorCorrection: bool,
  img2imgColorCorrection: bool,
  stylesFile: text(PATH),
  backends: (field, v) => {
    if (!Array.isArray(v)) throw invalidParam(field, `expected a list of backends, got ${JSON.stringify(v)}`);
    v.forEach((b, i) => {
      const why = backendProblem(b);
      if (why) throw invalidParam(`${field}[${i}]`, why, '{"name", "kind": "local" | "a1111" | "comfyui", "url": "http(s)://host:port", "auth"?}');
    });
  },
  cacheLimitGB: num(0, 1 << 20),
  interrogate: record<InterrogateSettings>(INTERROGATE_CHECKS),
  sdxlCropTop: int(0, 1 << 16),
  sdxlCropLeft: int(0, 1 << 16),
  sdxlRefinerHighAestheticScore: num(0, 10),
  sdxlRefinerLowAestheticScore: num(0, 10),
  tokenMergingRatio: num(0, 0.9),
  sMinUncond: num(0, 15),
  vaeDecodeMethod: oneOf(['Full', 'TAESD']),
  vaeEncodeMethod: oneOf(['Full', 'TAESD']),
  vaeTiling: oneOf(['auto', 'on', 'off']),
  unetPrecision: oneOf(['fp32', 'int8']),
};

/**
 * A settings patch (`sd/settings.update`, `initialize`) checked field by field: every value's type and range, and
 * no unknown keys. The first bad field throws InvalidParams naming it (`settings.threads`).
 */
export function checkSettingsPatch(patch: unknown): Partial<DaemonSettings> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw invalidParam('settings', 'expected an object');
  for (const [key, value] of Object.entries(patch)) {
    if (!Object.prototype.hasOwnProperty.call(SETTING_CHECKS, key)) {
      throw invalidParam(`settings.${key}`, 'unknown setting', Object.keys(SETTING_CHECKS).join(', '));
    }
    if (value !== undefined) SETTING_CHECKS[key as keyof DaemonSettings](`settings.${key}`, value);
  }
  return patch as Partial<DaemonSettings>;
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
    const why = backendProblem(b);
    if (why) throw new Error(`${source}: backend ${typeof b?.name === 'string' && b.name ? `"${b.name}"` : i}: ${why}`);
    return { name: b.name!, kind: b.kind!, ...(b.url ? { url: b.url } : {}), ...(typeof b.auth === 'string' && b.auth ? { auth: b.auth } : {}) };
  });
}

/** What is wrong with one entry of the `backends` setting, or undefined. */
function backendProblem(b: unknown): string | undefined {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return 'expected {"name", "kind", "url"}';
  const e = b as Partial<Record<keyof BackendConfig, unknown>>;
  if (typeof e.name !== 'string' || !e.name) return 'expected {"name", "kind", "url"}';
  if (e.kind !== 'local' && e.kind !== 'a1111' && e.kind !== 'comfyui') return 'kind must be local, a1111 or comfyui';
  if (e.kind !== 'local' && (typeof e.url !== 'string' || !/^https?:\/\//.test(e.url))) return 'url must be http(s)://host:port';
  if (e.auth !== undefined && typeof e.auth !== 'string') return 'auth must be a string ("USER:PASS" or "Bearer TOKEN")';
  return undefined;
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
