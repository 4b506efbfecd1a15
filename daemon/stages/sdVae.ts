// A1111's "SD VAE" setting (modules/sd_vae.py resolve_vae): "None" = the checkpoint's own VAE; a file name =
// that file from `<modelsRoot>/VAE/` (or a `*.vae.*` file beside the checkpoint), named by its base name with
// extension as A1111's vae_dict names them; "Automatic" = a VAE whose file name starts with the checkpoint's
// name (`<checkpoint>.vae.safetensors` beside it, or `<modelsRoot>/VAE/<checkpoint>…`), else the checkpoint's
// own. Infotext: "VAE hash" (sha256[0:10]) and "VAE" (file name) when a separate VAE is loaded.
import { existsSync } from 'node:fs';
import { filesUnder } from '../../models/folderWalk';
import { basename, dirname, join } from 'node:path';
import { hashFile } from '../../models/hash';
import { invalidParam } from '../errors';

const VAE_EXTS = ['.pt', '.ckpt', '.safetensors'];

/**
 * A1111's vae_dict: file name → path; `<modelsRoot>/VAE` (or `models/VAE` of an install, recursively), then
 * `*.vae.*` files beside the checkpoint.
 */
export function listVaeFiles(modelsRoot: string, checkpoint?: string): Map<string, string> {
  const out = new Map<string, string>();
  const dirs = modelsRoot ? [join(modelsRoot, 'VAE'), join(modelsRoot, 'models', 'VAE')].filter((d) => existsSync(d)) : [];
  for (const d of dirs) for (const f of filesUnder(d, VAE_EXTS)) if (!out.has(f.name)) out.set(f.name, f.path);
  if (checkpoint) {
    for (const f of filesUnder(dirname(checkpoint), VAE_EXTS, { maxDepth: 0 })) if (/\.vae\.(pt|ckpt|safetensors)$/i.test(f.name) && !out.has(f.name)) out.set(f.name, f.path);
  }
  return out;
}

/**
 * The VAE file to build a checkpoint with: a path, or false for the checkpoint's own VAE. Undefined for a model
 * that is not a checkpoint file (ONNX folders carry their VAE).
 */
export function resolveSdVae(setting: string | undefined, modelsRoot: string, model: string): string | false | undefined {
  if (!/\.(safetensors|ckpt|pt|pth|bin)$/i.test(model)) return undefined;
  const choice = setting?.trim() || 'Automatic';
  if (choice === 'None') return false;
  const vaes = listVaeFiles(modelsRoot, model);
  if (choice === 'Automatic') {
    const stem = basename(model).replace(/\.[^.]*$/, '');
    // sd_vae.find_vae_near_checkpoint: the first VAE whose file name starts with the checkpoint's name.
    for (const p of vaes.values()) if (basename(p).startsWith(stem)) return p;
    return false;
  }
  const hit = vaes.get(choice) ?? [...vaes.entries()].find(([n]) => n.replace(/\.[^.]*$/, '') === choice)?.[1];
  if (!hit) {
    const known = [...vaes.keys()];
    throw invalidParam('sdVae', `VAE "${choice}" not found in ${modelsRoot ? join(modelsRoot, 'VAE') : '(no models root set)'} or beside the checkpoint${known.length ? `; found: ${known.join(', ')}` : ''}`, '"Automatic", "None" or a VAE file name');
  }
  return hit;
}

/** Infotext "VAE hash" and "VAE" for a separately loaded VAE (A1111 add_vae_hash/name_to_info, on by default). */
export async function vaeInfotext(file: string | false | undefined): Promise<{ vaeHash?: string; vaeName?: string }> {
  if (!file) return {};
  return { vaeHash: (await hashFile(file)).autoV2, vaeName: basename(file) };
}
