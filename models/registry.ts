// The user's model folders, as A1111 lays them out: the one module that knows the layout. The models root
// (setting sdStudio.modelsRoot) is either A1111's `models/` folder itself or an A1111 install, so each kind's
// folder is `<root>/<Folder>` or `<root>/models/<Folder>`; embeddings also live beside `models/` in an install
// (`<install>/embeddings`). A kind is a row of MODEL_KINDS: its folders in A1111's names, the file extensions
// A1111 lists, whether sub-folders count, and for single-file kinds the file names A1111 looks for. A new kind
// (interrogate's BLIP / torch_deepdanbooru, aesthetic_embeddings, ...) is a new row; its finder calls the
// functions below. Checkpoint sidecars (`<name>.vae.*`, `<name>.yaml`) are known here too.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { filesUnder, type WalkedFile } from './folderWalk';

export interface ModelKindSpec {
  /** A1111's folder names, searched in this order (under the root, then under `<root>/models/`). */
  folders: readonly string[];
  /** File extensions A1111 lists for the kind, lower case with the dot. */
  extensions: readonly string[];
  /** Sub-folders are walked too (A1111's os.walk order). */
  recursive: boolean;
  /** Also `<install>/<folder>` when the root is an install's `models/` folder (A1111 keeps embeddings there). */
  besideModelsFolder?: boolean;
  /** For kinds A1111 loads from fixed file names: those names, best first. */
  fileNames?: readonly string[];
}

export const MODEL_KINDS = {
  checkpoint: { folders: ['Stable-diffusion'], extensions: ['.safetensors', '.ckpt', '.pt', '.pth', '.bin'], recursive: true },
  vae: { folders: ['VAE'], extensions: ['.pt', '.ckpt', '.safetensors'], recursive: true },
  lora: { folders: ['Lora', 'LyCORIS'], extensions: ['.safetensors', '.pt', '.ckpt'], recursive: true },
  embedding: { folders: ['embeddings'], extensions: ['.pt', '.bin', '.safetensors'], recursive: true, besideModelsFolder: true },
  /** ESRGAN / RealESRGAN / SwinIR / DAT upscalers (A1111 lists each folder's own files). */
  upscaler: { folders: ['ESRGAN', 'RealESRGAN', 'SwinIR', 'DAT'], extensions: ['.pth', '.pt', '.safetensors', '.onnx'], recursive: false },
  gfpgan: { folders: ['GFPGAN'], extensions: ['.onnx', '.pth', '.safetensors'], recursive: false },
  codeformer: { folders: ['Codeformer'], extensions: ['.onnx', '.pth', '.safetensors'], recursive: false },
  /** Ultra-Light-Fast-Generic-Face-Detector (MIT): its own folder, or beside the restorers as facexlib's weights are. */
  faceDetector: { folders: ['facedetect', 'GFPGAN', 'Codeformer'], extensions: ['.onnx'], recursive: false, fileNames: ['version-RFB-320.onnx', 'version-slim-320.onnx'] },
  /**
   * facexlib's RetinaFace detector and face parser, which A1111's face restoration downloads beside the restorers
   * (face_restoration_utils.patch_facexlib); installs before 1.8 kept CodeFormer's own copies in
   * repositories/CodeFormer/weights/facelib (beside models/ when the root is the models folder).
   */
  retinaFace: { folders: ['GFPGAN', 'Codeformer', 'facedetect', 'repositories/CodeFormer/weights/facelib'], extensions: ['.pth'], recursive: false, besideModelsFolder: true, fileNames: ['detection_Resnet50_Final.pth'] },
  faceParser: { folders: ['GFPGAN', 'Codeformer', 'facedetect', 'repositories/CodeFormer/weights/facelib'], extensions: ['.pth'], recursive: false, besideModelsFolder: true, fileNames: ['parsing_parsenet.pth'] },
  /** TAESD, for live previews and the "TAESD" VAE type (A1111's "VAE-approx" folder); `taesdxl_*` for SDXL latents. */
  taesdDecoder: { folders: ['VAE-approx'], extensions: ['.safetensors', '.pth'], recursive: false, fileNames: ['taesd_decoder.safetensors', 'taesd_decoder.pth'] },
  taesdEncoder: { folders: ['VAE-approx'], extensions: ['.safetensors', '.pth'], recursive: false, fileNames: ['taesd_encoder.safetensors', 'taesd_encoder.pth'] },
  taesdxlDecoder: { folders: ['VAE-approx'], extensions: ['.safetensors', '.pth'], recursive: false, fileNames: ['taesdxl_decoder.safetensors', 'taesdxl_decoder.pth'] },
  taesdxlEncoder: { folders: ['VAE-approx'], extensions: ['.safetensors', '.pth'], recursive: false, fileNames: ['taesdxl_encoder.safetensors', 'taesdxl_encoder.pth'] },
  /** Interrogate CLIP's caption model (A1111 loads the first .pth in models/BLIP). */
  blip: { folders: ['BLIP'], extensions: ['.pth', '.safetensors'], recursive: false, fileNames: ['model_base_caption_capfilt_large.pth'] },
  /** Interrogate DeepBooru (A1111 loads the first .pt in models/torch_deepdanbooru). */
  deepbooru: { folders: ['torch_deepdanbooru'], extensions: ['.pt', '.pth', '.safetensors'], recursive: false, fileNames: ['model-resnet_custom_v3.pt'] },
  /**
   * CLIP ViT-L/14 for interrogate ranking and aesthetic embeddings: OpenAI's ViT-L-14.pt (A1111's clip.load keeps it
   * in --clip-models-path, else ~/.cache/clip: see clipCacheFiles) or a Hugging Face CLIPModel file.
   */
  clip: { folders: ['CLIP', 'clip'], extensions: ['.pt', '.safetensors', '.bin'], recursive: false, fileNames: ['ViT-L-14.pt', 'model.safetensors', 'pytorch_model.bin'] },
  /** Interrogate CLIP's term lists: `<install>/interrogate/*.txt` (a file stem ending `.topN` ranks N matches). */
  interrogateLists: { folders: ['interrogate'], extensions: ['.txt'], recursive: false, besideModelsFolder: true },
  /**
   * The aesthetic-gradients extension's image embeddings (`aesthetic_embeddings/NAME.pt`): inside the extension's
   * folder, or models/aesthetic_embeddings where A1111 kept them while the feature was built in.
   */
  aestheticEmbeddings: {
    folders: ['aesthetic_embeddings', 'extensions/stable-diffusion-webui-aesthetic-gradients/aesthetic_embeddings'],
    extensions: ['.pt'], recursive: false, besideModelsFolder: true,
  },
  /** WD14 tagger exports (model.onnx + selected_tags.csv per folder), as the tagger extensions keep them. */
  wd14: { folders: ['interrogators', 'wd14-tagger'], extensions: ['.onnx'], recursive: true },
} as const satisfies Record<string, ModelKindSpec>;

export type ModelKind = keyof typeof MODEL_KINDS;

const spec = (kind: ModelKind): ModelKindSpec => MODEL_KINDS[kind];

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Every place a kind's files may be, in search order, whether it exists or not (for "not found in …" messages). */
export function folderCandidates(root: string, kind: ModelKind): string[] {
  if (!root) return [];
  const s = spec(kind);
  const out: string[] = [];
  for (const base of [root, join(root, 'models')]) for (const f of s.folders) out.push(join(base, f));
  if (s.besideModelsFolder && basename(root) === 'models') for (const f of s.folders) out.push(join(dirname(root), f));
  return out;
}

/** The kind's folders that exist, in search order. */
export function modelFolders(root: string, kind: ModelKind): string[] {
  return [...new Set(folderCandidates(root, kind))].filter(isDir);
}

/** Where a kind lives, for messages: the first candidate (`<root>/<Folder>`), or a hint when no root is set. */
export function describeFolder(root: string, kind: ModelKind): string {
  return folderCandidates(root, kind)[0] ?? `${spec(kind).folders[0]}/ (modelsRoot is not set)`;
}

export interface ModelFile extends WalkedFile {
  /** The A1111 folder name it was found in (e.g. "RealESRGAN"). */
  folder: string;
}

/** A kind's files in one of its folders, in A1111's walk order. */
export function* filesInFolder(dir: string, kind: ModelKind, opts: { skipHidden?: boolean } = {}): Generator<ModelFile> {
  const s = spec(kind);
  for (const f of filesUnder(dir, s.extensions, { ...(s.recursive ? {} : { maxDepth: 0 }), ...opts })) yield { ...f, folder: basename(dir) };
}

/** A kind's files under the root: each folder in search order, A1111's walk order inside it. */
export function* modelFiles(root: string, kind: ModelKind, opts: { skipHidden?: boolean } = {}): Generator<ModelFile> {
  for (const dir of modelFolders(root, kind)) yield* filesInFolder(dir, kind, opts);
}

/**
 * A file named the way A1111 names them in prompts (`<lora:name:…>`): `name` + an extension of the kind directly
 * in a folder, else the first file (walk order) whose name without extension is `name`.
 */
export function findModelFile(root: string, kind: ModelKind, name: string): string | undefined {
  const s = spec(kind);
  for (const dir of modelFolders(root, kind)) {
    for (const ext of s.extensions) {
      const direct = join(dir, name + ext);
      if (existsSync(direct)) return direct;
    }
    for (const f of filesInFolder(dir, kind)) if (basename(f.name, extname(f.name)) === name) return f.path;
  }
  return undefined;
}

/** For fixed-name kinds (face detector, TAESD): the first wanted file in the first folder that has one. */
export function findFixedModelFile(root: string, kind: ModelKind): string | undefined {
  const names = spec(kind).fileNames ?? [];
  for (const dir of modelFolders(root, kind)) {
    for (const name of names) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

/** The fixed file names a kind is loaded from (for error messages). */
export const fixedFileNames = (kind: ModelKind): readonly string[] => spec(kind).fileNames ?? [];

/** True when `path` has one of the kind's extensions (a checkpoint file rather than an ONNX folder, ...). */
export function hasKindExtension(path: string, kind: ModelKind): boolean {
  return (spec(kind).extensions as readonly string[]).includes(extname(path).toLowerCase());
}

/** Files A1111 reads beside a checkpoint `<name>.<ext>`: a VAE `<name>.vae.*` and the architecture `<name>.yaml`. */
const SIDECARS = {
  vae: ['.vae.safetensors', '.vae.pt', '.vae.ckpt'],
  /** `<name>.config.json` is our --config JSON form, for heads no yaml can state. */
  config: ['.yaml', '.config.json'],
} as const;

/** The checkpoint's sidecar of that kind, if one exists. */
export function checkpointSidecar(checkpoint: string, kind: keyof typeof SIDECARS): string | undefined {
  const stem = checkpoint.slice(0, checkpoint.length - extname(checkpoint).length);
  return SIDECARS[kind].map((e) => stem + e).find((p) => existsSync(p));
}

/** Every `*.vae.*` file beside a checkpoint (A1111's vae_dict adds them), sorted by name. */
export function vaeFilesBeside(checkpoint: string): WalkedFile[] {
  const vaeExts = SIDECARS.vae.map((e) => e.slice('.vae'.length));
  return [...filesUnder(dirname(checkpoint), vaeExts, { maxDepth: 0 })].filter((f) => SIDECARS.vae.some((e) => f.name.toLowerCase().endsWith(e)));
}

/** The Hugging Face hub cache (HF_HOME, else XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface) → `hub/`. */
export function hfHubDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface'), 'hub');
}

/** Snapshot folders of one hub repo (`openai/clip-vit-large-patch14`), newest first; [] when it is not cached. */
export function hfSnapshots(repo: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = join(hfHubDir(env), `models--${repo.replace(/\//g, '--')}`, 'snapshots');
  if (!isDir(dir)) return [];
  return readdirSync(dir).map((s) => join(dir, s)).filter(isDir).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
}

/** The first snapshot of `repo` holding one of `files` (in that order of preference), or undefined. */
export function hfSnapshotFile(repo: string, files: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of hfSnapshots(repo, env)) for (const f of files) if (existsSync(join(dir, f))) return join(dir, f);
  return undefined;
}

/** Hub repos cached under a name prefix (`SmilingWolf/wd-`), for the WD14 taggers. */
export function hfReposLike(prefix: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const hub = hfHubDir(env);
  if (!isDir(hub)) return [];
  const want = `models--${prefix.replace(/\//g, '--')}`;
  return readdirSync(hub).filter((n) => n.startsWith(want)).map((n) => n.slice('models--'.length).replace(/--/g, '/')).sort();
}

/** Where OpenAI's clip.load keeps ViT-L-14.pt without --clip-models-path: ~/.cache/clip. */
export function clipCacheFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME || homedir();
  return [join(home, '.cache', 'clip', 'ViT-L-14.pt')];
}
