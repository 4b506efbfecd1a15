// The checkpoints a models root offers, named as A1111's `sd_models.list_models` names them (title, model_name,
// short hash), for the HTTP API's sd-models list and `sd_model_checkpoint`: the registry's checkpoint files, the
// diffusers ONNX folders beside them (what `sd-studio convert-onnx` writes), then the configured model if it lives
// elsewhere.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { HashCache } from '../../models/hash';
import { checkpointSidecar, filesInFolder, modelFolders } from '../../models/registry';

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

/** A diffusers ONNX folder: has unet/ and text_encoder/. */
const isOnnxFolder = (dir: string): boolean => existsSync(join(dir, 'unet')) && existsSync(join(dir, 'text_encoder'));

/** The cached full hash of a checkpoint file or of an ONNX folder's UNet weights (our "Model hash"). */
async function cachedSha256(path: string, cache: HashCache): Promise<string | undefined> {
  try {
    let file = path;
    if (statSync(path).isDirectory()) {
      const unet = join(path, 'unet');
      const files = readdirSync(unet).map((n) => join(unet, n)).filter((f) => statSync(f).isFile());
      file = files.reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a), files[0] ?? '');
      if (!file) return undefined;
    }
    const st = statSync(file);
    return (await cache.get(file, st.size, st.mtimeMs))?.sha256;
  } catch {
    return undefined;
  }
}

async function entry(path: string, folder: string | undefined, cache: HashCache): Promise<CheckpointEntry> {
  const rel = folder && resolve(path).startsWith(resolve(folder) + sep) ? relative(folder, path).split(sep).join('/') : basename(path);
  const sha256 = await cachedSha256(path, cache);
  const hash = sha256?.slice(0, 10);
  const config = statSync(path).isFile() ? checkpointSidecar(path, 'config') : undefined;
  return {
    title: hash ? `${rel} [${hash}]` : rel,
    name: rel,
    modelName: rel.replace(/\//g, '_').replace(/\.(ckpt|safetensors|pt|pth|bin)$/i, ''),
    ...(hash ? { hash, sha256 } : {}),
    filename: path,
    ...(config ? { config } : {}),
  };
}

/** Every checkpoint file and ONNX model folder under the models root, then the configured model if elsewhere. */
export async function listCheckpoints(modelsRoot: string, configuredModel = ''): Promise<CheckpointEntry[]> {
  const out: CheckpointEntry[] = [];
  const seen = new Set<string>();
  const cache = new HashCache();
  const add = async (path: string, folder: string | undefined): Promise<void> => {
    if (seen.has(resolve(path))) return;
    seen.add(resolve(path));
    out.push(await entry(path, folder, cache));
  };
  for (const folder of modelFolders(modelsRoot, 'checkpoint')) {
    for (const f of filesInFolder(folder, 'checkpoint', { skipHidden: true })) await add(f.path, folder);
    for (const name of readdirSync(folder).sort()) if (isOnnxFolder(join(folder, name))) await add(join(folder, name), folder);
  }
  if (configuredModel && existsSync(configuredModel)) await add(resolve(configuredModel), undefined);
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
    entries.find((e) => e.name === stripped || e.modelName === stripped || e.name.replace(/\.(ckpt|safetensors|pt|pth|bin)$/i, '') === stripped) ??
    entries.find((e) => !!e.hash && (e.hash === w || e.sha256 === w))
  );
}
