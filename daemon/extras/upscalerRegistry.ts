// The upscaler list, as A1111's load_upscalers orders it: None, Lanczos, Nearest first, then every model sorted
// case-insensitively — the built-in ESRGAN-Slim models (npm package @upscalerjs/esrgan-slim, no download) and the
// user's files in ESRGAN/, RealESRGAN/, SwinIR/, DAT/ (models/registry.ts knows where those are).
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { hasKindExtension, modelFiles } from '../../models/registry';
import type { UpscalerInfo } from '../protocol';

const BUILTIN_SCALES = [2, 3, 4, 8];

/** The esrgan-slim package's `models/` folder: env override, else the node_modules beside the running code. */
export function builtinModelsDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SD_STUDIO_ESRGAN_SLIM_DIR) return env.SD_STUDIO_ESRGAN_SLIM_DIR;
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', '@upscalerjs', 'esrgan-slim', 'models');
      if (existsSync(candidate)) return candidate;
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}

function builtins(): UpscalerInfo[] {
  const dir = builtinModelsDir();
  if (!dir) return [];
  return BUILTIN_SCALES.map((s) => ({ name: `ESRGAN-Slim ${s}x`, kind: 'model' as const, path: join(dir, `x${s}`, 'model.json'), builtin: true })).filter((u) => existsSync(u.path));
}

function userModels(modelsRoot: string): UpscalerInfo[] {
  // A1111 names a model file by its stem.
  return [...modelFiles(modelsRoot, 'upscaler')].map((f) => ({ name: basename(f.name, extname(f.name)), kind: 'model', path: f.path, folder: f.folder }));
}

export function listUpscalers(modelsRoot: string): UpscalerInfo[] {
  const models = [...builtins(), ...userModels(modelsRoot)];
  const seen = new Set<string>();
  const unique = models.filter((m) => !seen.has(m.name.toLowerCase()) && seen.add(m.name.toLowerCase()));
  unique.sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  return [{ name: 'None', kind: 'none' }, { name: 'Lanczos', kind: 'lanczos' }, { name: 'Nearest', kind: 'nearest' }, ...unique];
}

/** An upscaler by name (case-insensitive), or a model file given by path. */
export function findUpscaler(name: string, modelsRoot: string): UpscalerInfo | undefined {
  const hit = listUpscalers(modelsRoot).find((u) => u.name.toLowerCase() === name.toLowerCase());
  if (hit) return hit;
  if (hasKindExtension(name, 'upscaler') || name.endsWith('model.json')) {
    const path = resolve(name);
    if (existsSync(path)) return { name: basename(path, extname(path)), kind: 'model', path };
  }
  return undefined;
}
