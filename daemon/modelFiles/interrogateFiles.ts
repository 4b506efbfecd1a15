// The files interrogate and aesthetic embeddings read, found where an A1111 install keeps them (models/registry.ts
// knows the folders; the Hugging Face hub cache and ~/.cache/clip are where A1111's downloads land). Each finder
// either returns a path or throws an error that names every place it looked and what it expected there.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import {
  clipCacheFiles, findFixedModelFile, folderCandidates, hfReposLike, hfSnapshotFile, hfSnapshots, modelFiles, modelFolders,
} from '../../models/registry';
import { findTokenizerDir } from '../../models/onnxFolderFiles';
import { notFound } from '../errors';

const where = (root: string, kind: Parameters<typeof folderCandidates>[1], extra: string[] = []): string =>
  [...(root ? folderCandidates(root, kind) : ['modelsRoot (not set)']), ...extra].join(', ');

/** A1111's models/BLIP/model_base_caption_capfilt_large.pth (or another BLIP caption .pth there). */
export function findBlip(root: string): string {
  const f = findFixedModelFile(root, 'blip') ?? modelFiles(root, 'blip').next().value?.path;
  if (!f) throw notFound(where(root, 'blip'), 'BLIP caption model (model_base_caption_capfilt_large.pth, as A1111 downloads it into models/BLIP)');
  return f;
}

/** bert-base-uncased's vocab.txt (BLIP's tokenizer): beside the BLIP file, or in the Hugging Face cache. */
export function findBertVocab(blipFile: string, env: NodeJS.ProcessEnv = process.env): string {
  const beside = join(dirname(blipFile), 'vocab.txt');
  if (existsSync(beside)) return beside;
  const cached = hfSnapshotFile('bert-base-uncased', ['vocab.txt'], env) ?? hfSnapshotFile('google-bert/bert-base-uncased', ['vocab.txt'], env);
  if (cached) return cached;
  throw notFound(`${beside}, the Hugging Face cache (bert-base-uncased)`, "BLIP's tokenizer vocabulary (bert-base-uncased vocab.txt, which A1111 downloads on first use)");
}

/** A1111's models/torch_deepdanbooru/model-resnet_custom_v3.pt (or the folder's first .pt). */
export function findDeepbooru(root: string): string {
  const f = findFixedModelFile(root, 'deepbooru') ?? modelFiles(root, 'deepbooru').next().value?.path;
  if (!f) throw notFound(where(root, 'deepbooru'), 'DeepBooru model (model-resnet_custom_v3.pt, as A1111 downloads it into models/torch_deepdanbooru)');
  return f;
}

/**
 * CLIP ViT-L/14 with both towers: env SD_STUDIO_CLIP, the models root's CLIP/ folder, OpenAI's ~/.cache/clip/ViT-L-14.pt
 * (clip.load's download folder), or the Hugging Face cache's openai/clip-vit-large-patch14 (the aesthetic
 * extension's CLIPModel.from_pretrained). The same weights either way.
 */
export function findClip(root: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.SD_STUDIO_CLIP) {
    if (!existsSync(env.SD_STUDIO_CLIP)) throw notFound(env.SD_STUDIO_CLIP, 'CLIP model (SD_STUDIO_CLIP)');
    return env.SD_STUDIO_CLIP;
  }
  const f = (root ? findFixedModelFile(root, 'clip') : undefined)
    ?? clipCacheFiles(env).find((p) => existsSync(p))
    ?? hfSnapshotFile('openai/clip-vit-large-patch14', ['model.safetensors', 'pytorch_model.bin'], env);
  if (!f) {
    const hub = hfSnapshots('openai/clip-vit-large-patch14', env)[0] ?? 'the Hugging Face cache (openai/clip-vit-large-patch14)';
    throw notFound(where(root, 'clip', [...clipCacheFiles(env), hub]), 'CLIP ViT-L/14 (ViT-L-14.pt as clip.load downloads it, or openai/clip-vit-large-patch14)');
  }
  return f;
}

/** The user's A1111 term lists folder (`<install>/interrogate`), if there is one with .txt files. */
export function findTermListsDir(root: string): string | undefined {
  for (const dir of root ? modelFolders(root, 'interrogateLists') : []) {
    if (readdirSync(dir).some((n) => extname(n).toLowerCase() === '.txt')) return dir;
  }
  return undefined;
}

export interface TaggerFiles {
  model: string;
  tags: string;
  /** Folder or repo name, for `wd14Model`. */
  name: string;
}

/** WD14 tagger exports: a model .onnx with selected_tags.csv beside it, under the models root or in the HF cache. */
export function listWd14(root: string, env: NodeJS.ProcessEnv = process.env): TaggerFiles[] {
  const out: TaggerFiles[] = [];
  for (const f of root ? modelFiles(root, 'wd14') : []) {
    const tags = join(dirname(f.path), 'selected_tags.csv');
    if (existsSync(tags)) out.push({ model: f.path, tags, name: basename(dirname(f.path)) });
  }
  for (const repo of hfReposLike('SmilingWolf/wd-', env)) {
    const model = hfSnapshotFile(repo, ['model.onnx'], env);
    if (model && existsSync(join(dirname(model), 'selected_tags.csv'))) out.push({ model, tags: join(dirname(model), 'selected_tags.csv'), name: repo });
  }
  return out;
}

export function findWd14(root: string, wanted: string, env: NodeJS.ProcessEnv = process.env): TaggerFiles {
  const all = listWd14(root, env);
  const pick = wanted ? all.find((t) => t.name === wanted || t.name.endsWith(`/${wanted}`) || t.model === wanted) : all[0];
  if (!pick) {
    const looked = where(root, 'wd14', ['the Hugging Face cache (SmilingWolf/wd-*)']);
    throw notFound(looked, wanted ? `WD14 tagger "${wanted}" (known: ${all.map((t) => t.name).join(', ') || 'none'})` : 'WD14 tagger (a model.onnx with selected_tags.csv beside it)');
  }
  return pick;
}

/** Aesthetic embeddings under the root: name (file stem) → path, A1111's dropdown entries. */
export function listAestheticEmbeddings(root: string): Array<{ name: string; path: string }> {
  const seen = new Set<string>();
  const out: Array<{ name: string; path: string }> = [];
  for (const f of root ? modelFiles(root, 'aestheticEmbeddings') : []) {
    const name = basename(f.name, extname(f.name));
    if (!seen.has(name)) {
      seen.add(name);
      out.push({ name, path: f.path });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** An embedding named in a request: a .pt path, or a name from the list. */
export function findAestheticEmbedding(root: string, embedding: string, field = 'aesthetic.embedding'): string {
  if (/[\\/]/.test(embedding) || extname(embedding).toLowerCase() === '.pt') {
    if (!existsSync(embedding) || !statSync(embedding).isFile()) throw notFound(embedding, `${field}: aesthetic embedding file`);
    return embedding;
  }
  const hit = listAestheticEmbeddings(root).find((e) => e.name === embedding);
  if (!hit) throw notFound(where(root, 'aestheticEmbeddings'), `${field}: aesthetic embedding "${embedding}" (aesthetic_embeddings/${embedding}.pt)`);
  return hit.path;
}

/** Where `aesthetic create` writes: an existing aesthetic_embeddings folder, else `<root>/aesthetic_embeddings`. */
export function aestheticEmbeddingsFolder(root: string): string | null {
  if (!root) return null;
  return modelFolders(root, 'aestheticEmbeddings')[0] ?? folderCandidates(root, 'aestheticEmbeddings')[0]!;
}

/**
 * The CLIP BPE files (vocab.json + merges.txt) for ranking terms: beside the CLIP file (a Hugging Face snapshot has
 * them), SD_STUDIO_TOKENIZER or the Hugging Face cache, or the configured SD model's tokenizer/ (SD 1.x uses the
 * same vocabulary as ViT-L/14). OpenAI's ViT-L-14.pt carries none.
 */
export function clipTokenizerDir(clipFile: string, modelSetting: string): string {
  const has = (d: string): boolean => existsSync(join(d, 'vocab.json')) && existsSync(join(d, 'merges.txt'));
  if (has(dirname(clipFile))) return dirname(clipFile);
  const found = findTokenizerDir();
  if (found) return found;
  if (modelSetting && has(join(modelSetting, 'tokenizer'))) return join(modelSetting, 'tokenizer');
  throw notFound(`${dirname(clipFile)}, SD_STUDIO_TOKENIZER, the Hugging Face cache (openai/clip-vit-large-patch14)`, 'CLIP tokenizer (vocab.json + merges.txt) for the term lists');
}
