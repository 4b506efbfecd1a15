// A1111's "SD VAE" setting (modules/sd_vae.py resolve_vae): "None" = the checkpoint's own VAE; a file name =
// that file from `<modelsRoot>/VAE/` (or a `*.vae.*` file beside the checkpoint), named by its base name with
// extension as A1111's vae_dict names them; "Automatic" = a VAE whose file name starts with the checkpoint's
// name (`<checkpoint>.vae.safetensors` beside it, or `<modelsRoot>/VAE/<checkpoint>…`), else the checkpoint's
// own; an absolute path (`--vae FILE`) = that file. Infotext: "VAE hash" (sha256[0:10]) and "VAE" (file name)
// when a separate VAE is loaded.
import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute } from 'node:path';
import { hashFile } from '../../models/hash';
import { describeFolder, hasKindExtension, modelFiles, vaeFilesBeside } from '../../models/registry';
import { invalidParam, notFound } from '../errors';

/**
 * A1111's vae_dict: file name → path; the VAE folder (models/registry.ts, recursively), then `*.vae.*` files
 * beside the checkpoint.
 */
export function listVaeFiles(modelsRoot: string, checkpoint?: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of modelFiles(modelsRoot, 'vae')) if (!out.has(f.name)) out.set(f.name, f.path);
  if (checkpoint) for (const f of vaeFilesBeside(checkpoint)) if (!out.has(f.name)) out.set(f.name, f.path);
  return out;
}

/**
 * The VAE file to build a checkpoint with: a path, or false for the checkpoint's own VAE. Undefined for a model
 * that is not a checkpoint file (ONNX folders carry their VAE).
 */
export function resolveSdVae(setting: string | undefined, modelsRoot: string, model: string): string | false | undefined {
  if (!hasKindExtension(model, 'checkpoint')) return undefined;
  const choice = setting?.trim() || 'Automatic';
  if (choice === 'None') return false;
  // A path (`--vae FILE`): that file, whatever its name.
  if (isAbsolute(choice)) {
    if (!existsSync(choice) || !statSync(choice).isFile()) throw notFound(choice, 'VAE file'); // a missing file is a failure (exit 1), not a bad value
    return choice;
  }
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
    throw invalidParam('sdVae', `VAE "${choice}" not found in ${modelsRoot ? describeFolder(modelsRoot, 'vae') : '(no models root set)'} or beside the checkpoint${known.length ? `; found: ${known.join(', ')}` : ''}`, '"Automatic", "None" or a VAE file name');
  }
  return hit;
}

/** Infotext "VAE hash" and "VAE" for a separately loaded VAE (A1111 add_vae_hash/name_to_info, on by default). */
export async function vaeInfotext(file: string | false | undefined): Promise<{ vaeHash?: string; vaeName?: string }> {
  if (!file) return {};
  return { vaeHash: (await hashFile(file)).autoV2, vaeName: basename(file) };
}
