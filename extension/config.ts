// Typed getters for the `sdStudio.*` settings, and which of them reach the daemon: some are pushed live with
// `sd/settings.update`, the rest need a daemon restart (execution provider, threads). Settings that only the
// panels use (defaults for new generations) are read here too, so nobody spells a key twice; the interrogate
// options travel to the daemon as one `interrogate` object.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ApiStartParams, BackendConfig, DaemonSettings, Img2ImgParams } from '../daemon/protocol';

export const SECTION = 'sdStudio';

export type ExecutionProvider = DaemonSettings['executionProvider'];
export type PreviewMethod = 'Approx cheap' | 'TAESD' | 'None';

/** Every `sdStudio.*` setting, typed. Keys are the names after `sdStudio.` (package.json `contributes.configuration`). */
export interface SdStudioConfig {
  modelsRoot: string;
  model: string;
  sdVae: string;
  outputDir: string;
  filenamePattern: string;
  directoryPattern: string;
  executionProvider: ExecutionProvider;
  threads: number;
  previewMethod: PreviewMethod;
  previewEvery: number;
  upscalerTileSize: number;
  upscalerTileOverlap: number;
  defaultUpscaler: string;
  defaultFaceRestorer: DaemonSettings['defaultFaceRestorer'];
  codeformerWeight: number;
  'interrogate.keepModelsInMemory': boolean;
  'interrogate.clipMaxLength': number;
  'interrogate.deepbooruThreshold': number;
  'interrogate.returnRanks': boolean;
  'interrogate.clipNumBeams': number;
  'interrogate.clipMinLength': number;
  'interrogate.clipDictLimit': number;
  'interrogate.clipSkipCategories': string[];
  'interrogate.deepbooruSortAlpha': boolean;
  'interrogate.deepbooruUseSpaces': boolean;
  'interrogate.deepbooruEscape': boolean;
  'interrogate.deepbooruFilterTags': string;
  'interrogate.wd14Threshold': number;
  'interrogate.wd14Model': string;
  defaultSampler: string;
  defaultScheduler: string;
  defaultSteps: number;
  defaultCfgScale: number;
  defaultDenoisingStrength: number;
  maskBlur: number;
  img2imgFixSteps: boolean;
  randnSource: DaemonSettings['randnSource'];
  etaNoiseSeedDelta: number;
  samplesFormat: DaemonSettings['samplesFormat'];
  gridFormat: DaemonSettings['gridFormat'];
  jpegQuality: number;
  webpLossless: boolean;
  saveTxt: boolean;
  gridSaveTxt2Img: boolean;
  gridSaveImg2Img: boolean;
  saveBeforeHighresFix: boolean;
  saveBeforeFaceRestoration: boolean;
  saveBeforeColorCorrection: boolean;
  img2imgColorCorrection: boolean;
  stylesFile: string;
  'api.enabled': boolean;
  'api.port': number;
  'api.listen': boolean;
  'api.auth': string;
  backends: BackendConfig[];
  cacheLimitGB: number;
  sdxlCropTop: number;
  sdxlCropLeft: number;
  sdxlRefinerHighAestheticScore: number;
  sdxlRefinerLowAestheticScore: number;
  tokenMergingRatio: number;
  sMinUncond: number;
  vaeDecodeMethod: DaemonSettings['vaeDecodeMethod'];
  vaeEncodeMethod: DaemonSettings['vaeEncodeMethod'];
  vaeTiling: DaemonSettings['vaeTiling'];
  unetPrecision: DaemonSettings['unetPrecision'];
}

/** Settings whose change only takes effect when the daemon restarts (they shape ONNX Runtime sessions). */
export const RESTART_SETTINGS: ReadonlyArray<keyof SdStudioConfig> = ['executionProvider', 'threads'];

/** Settings that map 1:1 onto a daemon setting of the same name. */
const DAEMON_KEYS = [
  'modelsRoot', 'model', 'sdVae', 'outputDir', 'filenamePattern', 'directoryPattern', 'executionProvider', 'threads', 'previewEvery',
  'upscalerTileSize', 'upscalerTileOverlap', 'defaultUpscaler', 'defaultFaceRestorer', 'img2imgFixSteps', 'randnSource', 'etaNoiseSeedDelta',
  'samplesFormat', 'gridFormat', 'jpegQuality', 'webpLossless', 'saveTxt', 'gridSaveTxt2Img', 'gridSaveImg2Img', 'saveBeforeHighresFix',
  'saveBeforeFaceRestoration', 'saveBeforeColorCorrection', 'img2imgColorCorrection',
  'backends',
  'cacheLimitGB',
  'sdxlCropTop', 'sdxlCropLeft', 'sdxlRefinerHighAestheticScore', 'sdxlRefinerLowAestheticScore',
  'tokenMergingRatio', 'sMinUncond', 'vaeDecodeMethod', 'vaeEncodeMethod', 'vaeTiling', 'unetPrecision',
] as const satisfies ReadonlyArray<keyof SdStudioConfig & keyof DaemonSettings>;

export function get<K extends keyof SdStudioConfig>(key: K): SdStudioConfig[K] {
  return vscode.workspace.getConfiguration(SECTION).get(key) as SdStudioConfig[K];
}

/** Writes a setting where it is in force: the workspace when the workspace sets it, else the user settings. */
export async function update<K extends keyof SdStudioConfig>(key: K, value: SdStudioConfig[K]): Promise<void> {
  const c = vscode.workspace.getConfiguration(SECTION);
  const inWorkspace = c.inspect(key)?.workspaceValue !== undefined;
  await c.update(key, value, inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
}

/** `~`, `${workspaceFolder}` and paths relative to the first workspace folder → absolute; '' stays ''. */
export function resolvePath(value: string): string {
  if (!value) return '';
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  let v = value.replace(/\$\{workspaceFolder\}/g, ws ?? '').replace(/\$\{userHome\}/g, os.homedir());
  if (v === '~' || v.startsWith('~/')) v = path.join(os.homedir(), v.slice(1));
  if (!path.isAbsolute(v)) v = path.resolve(ws ?? os.homedir(), v);
  return v;
}

/** Where images go when `sdStudio.outputDir` is empty: `<workspace>/outputs`, else the extension's storage. */
export function outputDir(storage: vscode.Uri): string {
  const v = resolvePath(get('outputDir'));
  if (v) return v;
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return ws ? path.join(ws, 'outputs') : path.join(storage.fsPath, 'outputs');
}

/** The daemon's view of the settings (initializationOptions and `sd/settings.update`). */
export function daemonSettings(storage: vscode.Uri): Partial<DaemonSettings> {
  const out: Record<string, unknown> = {};
  for (const k of DAEMON_KEYS) out[k] = get(k);
  out.modelsRoot = resolvePath(get('modelsRoot'));
  out.model = resolvePath(get('model'));
  out.outputDir = outputDir(storage);
  out.stylesFile = resolvePath(get('stylesFile'));
  if (get('previewMethod') === 'None') out.previewEvery = 0;
  out.previewMethod = get('previewMethod') === 'TAESD' ? 'taesd' : 'cheap';
  out.interrogate = interrogateSettings();
  return out as Partial<DaemonSettings>;
}

/** `sd/api.start` options when `sdStudio.api.enabled` is on; undefined when the API should be off. */
export function apiOptions(): ApiStartParams | undefined {
  if (!get('api.enabled')) return undefined;
  const auth = get('api.auth');
  return { port: get('api.port'), listen: get('api.listen'), ...(auth ? { auth } : {}) };
}

/** `sdStudio.interrogate.*` → A1111's Interrogate settings as the daemon takes them. */
export function interrogateSettings(): DaemonSettings['interrogate'] {
  return {
    keepModelsInMemory: get('interrogate.keepModelsInMemory'), returnRanks: get('interrogate.returnRanks'),
    clipNumBeams: get('interrogate.clipNumBeams'), clipMinLength: get('interrogate.clipMinLength'), clipMaxLength: get('interrogate.clipMaxLength'),
    clipDictLimit: get('interrogate.clipDictLimit'), clipSkipCategories: get('interrogate.clipSkipCategories'),
    deepbooruThreshold: get('interrogate.deepbooruThreshold'), deepbooruSortAlpha: get('interrogate.deepbooruSortAlpha'),
    deepbooruUseSpaces: get('interrogate.deepbooruUseSpaces'), deepbooruEscape: get('interrogate.deepbooruEscape'),
    deepbooruFilterTags: get('interrogate.deepbooruFilterTags'), wd14Threshold: get('interrogate.wd14Threshold'), wd14Model: get('interrogate.wd14Model'),
  };
}

export interface ConfigChange {
  /** The change touches a setting that needs a daemon restart. */
  needsRestart: boolean;
  /** The change touches a setting the daemon reads (pushed live unless a restart is needed). */
  affectsDaemon: boolean;
  /** The change touches `sdStudio.api.*` (the HTTP API is started, restarted or stopped). */
  affectsApi: boolean;
}

export function classifyChange(e: vscode.ConfigurationChangeEvent): ConfigChange | undefined {
  if (!e.affectsConfiguration(SECTION)) return undefined;
  const touched = (k: string): boolean => e.affectsConfiguration(`${SECTION}.${k}`);
  return {
    needsRestart: RESTART_SETTINGS.some(touched),
    affectsDaemon: [...DAEMON_KEYS, 'previewMethod', 'interrogate'].some(touched),
    affectsApi: touched('api'),
  };
}

/** Defaults for a new generation (`.sdprompt` specs without a value, and the panels' forms). */
export function generationDefaults(): Pick<Img2ImgParams, 'sampler_name' | 'scheduler' | 'steps' | 'cfg_scale' | 'denoising_strength'> {
  return {
    sampler_name: get('defaultSampler'), scheduler: get('defaultScheduler'), steps: get('defaultSteps'),
    cfg_scale: get('defaultCfgScale'), denoising_strength: get('defaultDenoisingStrength'),
  };
}

/** What the img2img and inpaint panels start a new form with (their `init` message carries it). */
export function panelDefaults(): Pick<Img2ImgParams, 'sampler_name' | 'scheduler' | 'steps' | 'cfg_scale' | 'denoising_strength' | 'mask_blur'> {
  return { ...generationDefaults(), mask_blur: get('maskBlur') };
}
