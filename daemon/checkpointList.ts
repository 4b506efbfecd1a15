// The checkpoints a models root offers, as A1111's `sd_models.list_models` names them (title, model_name, hash),
// for the HTTP API's sd-models list, `sd_model_checkpoint` and the backends' model matching. The A1111 folder
// layout is meant to live in one module (models/registry.ts); until that lands this file is the one place that
// knows `Stable-diffusion/`, and it should then ask the registry for the folder.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { filesUnder } from '../models/folderWalk';
import { HashCache } from '../models/hash';

export interface CheckpointEntry {
  /** A1111 `CheckpointInfo.title`: "<name> [<short hash>]", or the name while no hash is known. */
  title: string;
  /** Path relative to the checkpoints folder, '/' separated ("sub/foo.safetensors"; an ONNX folder's own name). */
  name: string;
  /** A1111 `model_name`: the name without extension, '/' → '_'. */
  modelName: string;
  /** sha256[0:10] when known (cached hashes only: hashing a 4 GB file to list it would take a minute). */
  hash?: string;
  sha256?: string;
  /** The file, or the ONNX model folder. */
  filename: string;
  /** A `<stem>.yaml` config beside a checkpoint file. */
  config?: string;
}

const CHECKPOINT_EXTS = ['.ckpt', '.safetensors'];

/** `<root>/Stable-diffusion` or, for an A1111 install, `<root>/models/Stable-diffusion`. */
export function checkpointFolder(modelsRoot: string): string | undefined {
  if (!modelsRoot) return undefined;
  return [join(modelsRoot, 'Stable-diffusion'), join(modelsRoot, 'models', 'Stable-diffusion')].find((d) => existsSync(d) && statSync(d).isDirectory());
}

/** A diffusers ONNX folder (what `sd-studio convert-onnx` writes): has unet/ and text_encoder/. */
const isOnnxFolder = (dir: string): boolean => existsSync(join(dir, 'unet')) && existsSync(join(dir, 'text_encoder'));

let hashCache: HashCache | undefined;

/** The cached full hash of a checkpoint file or of an ONNX folder's UNet weights (our "Model hash"). */
async function cachedSha256(path: string): Promise<string | undefined> {
  try {
    let file = path;
    if (statSync(path).isDirectory()) {
      const unet = join(path, 'unet');
      const files = readdirSync(unet).map((n) => join(unet, n)).filter((f) => statSync(f).isFile());
      file = files.reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a), files[0] ?? '');
      if (!file) return undefined;
    }
    const st = statSync(file);
    return (await (hashCache ??= new HashCache()).get(file, st.size, st.mtimeMs))?.sha256;
  } catch {
    return undefined;
  }
}

async function entry(path: string, folder: string | undefined): Promise<CheckpointEntry> {
  const rel = folder && resolve(path).startsWith(resolve(folder) + sep) ? relative(folder, path).split(sep).join('/') : basename(path);
  const sha256 = await cachedSha256(path);
  const hash = sha256?.slice(0, 10);
  const yaml = path.replace(/\.[^./\\]+$/, '.yaml');
  return {
    title: hash ? `${rel} [${hash}]` : rel,
    name: rel,
    modelName: rel.replace(/\//g, '_').replace(/\.(ckpt|safetensors)$/i, ''),
    ...(hash ? { hash, sha256 } : {}),
    filename: path,
    ...(extname(path) && existsSync(yaml) ? { config: yaml } : {}),
  };
}

/** Every checkpoint file and ONNX model folder under the models root, then the configured model if elsewhere. */
export async function listCheckpoints(modelsRoot: string, configuredModel = ''): Promise<CheckpointEntry[]> {
  const folder = checkpointFolder(modelsRoot);
  const paths: string[] = [];
  if (folder) {
    for (const f of filesUnder(folder, CHECKPOINT_EXTS, { skipHidden: true })) paths.push(f.path);
    for (const name of readdirSync(folder).sort()) if (isOnnxFolder(join(folder, name))) paths.push(join(folder, name));
  }
  if (configuredModel && existsSync(configuredModel) && !paths.some((p) => resolve(p) === resolve(configuredModel))) paths.push(resolve(configuredModel));
  const out: CheckpointEntry[] = [];
  for (const p of paths) out.push(await entry(p, folder));
  return out;
}

/**
 * A checkpoint by any name A1111 accepts for `sd_model_checkpoint` (`checkpoint_aliases`): title, name, name
 * without extension, model_name, short or full hash; else a path that exists.
 */
export function findCheckpoint(entries: readonly CheckpointEntry[], wanted: string): CheckpointEntry | undefined {
  const w = wanted.trim();
  const stripped = w.replace(/\s*\[[0-9a-f]{8,64}\]$/i, '');
  return (
    entries.find((e) => e.title === w || e.name === w || e.filename === w) ??
    entries.find((e) => e.name === stripped || e.modelName === stripped || e.name.replace(/\.(ckpt|safetensors)$/i, '') === stripped) ??
    entries.find((e) => !!e.hash && (e.hash === w || e.sha256 === w))
  );
}
