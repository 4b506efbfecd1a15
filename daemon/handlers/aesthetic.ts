import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { invalidParam, notFound } from '../errors';
import { aestheticEmbeddingsFolder, findClip, listAestheticEmbeddings } from '../modelFiles/interrogateFiles';
import { runAestheticCreate, type ResolvedAestheticCreate } from '../pipelines/aestheticCreate';
import type { AestheticCreateParams, DaemonSettings } from '../protocol';
import type { DaemonServer } from '../server';
import type { Services } from '../services';

/** `sd/aesthetic.create` (a job) and `sd/aesthetic.list` (quick). */
export function registerAestheticHandlers(server: DaemonServer, services: Services): void {
  server.onRequest('sd/aesthetic.list', (_p, { settings }) => ({ embeddings: listAestheticEmbeddings(settings.modelsRoot), folder: aestheticEmbeddingsFolder(settings.modelsRoot) }));
  server.onJobRequest('sd/aesthetic.create', 'aesthetic', async (params, { job, settings }) => {
    const p = resolveAestheticCreate(params, settings);
    try {
      return await runAestheticCreate(p, job, services.interrogate);
    } finally {
      if (!settings.interrogate.keepModelsInMemory) await services.interrogate.release();
    }
  });
}

/** A1111's get_all_images_in_folder: files directly in the folder with these extensions. */
const IMAGE = /\.(png|jpg|jpeg|gif|tiff|webp)$/i;

export function resolveAestheticCreate(p: AestheticCreateParams, settings: DaemonSettings): ResolvedAestheticCreate {
  if (typeof p.name !== 'string' || !p.name.trim()) throw invalidParam('name', 'expected the embedding name');
  if (/[\\/:*?"<>|]/.test(p.name) || p.name === '.' || p.name === '..') throw invalidParam('name', `"${p.name}" cannot be a file name`, 'a name without path separators');
  if (typeof p.input_dir !== 'string' || !p.input_dir) throw invalidParam('input_dir', 'expected a folder of images');
  const dir = resolve(p.input_dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw notFound(dir, 'input_dir: folder');
  const files = readdirSync(dir).filter((n) => IMAGE.test(n)).map((n) => join(dir, n)).filter((f) => statSync(f).isFile()).sort();
  if (files.length === 0) throw invalidParam('input_dir', `${dir} has no images (.png .jpg .jpeg .gif .tiff .webp)`);
  const outDir = p.out_dir ? resolve(p.out_dir) : aestheticEmbeddingsFolder(settings.modelsRoot);
  if (!outDir) throw invalidParam('out_dir', 'no models root is set: give out_dir (where NAME.pt goes)');
  return { files, clipFile: findClip(settings.modelsRoot), out: join(outDir, `${p.name.trim()}.pt`), overwrite: p.overwrite === true, normalizeEach: p.normalize_each !== false };
}
