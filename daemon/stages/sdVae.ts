// A1111's "SD VAE" setting (modules/sd_vae.py resolve_vae): "None" = the checkpoint's own VAE; a file name =
// that file from `<modelsRoot>/VAE/` (or a `*.vae.*` file beside the checkpoint), named by its base name with
// extension as A1111's vae_dict names them; "Automatic" = a VAE whose file name starts with the checkpoint's
// name (`<checkpoint>.vae.safetensors` beside it, or `<modelsRoot>/VAE/<checkpoint>…`), else the checkpoint's
// own. Infotext: "VAE hash" (sha256[0:10]) and "VAE" (file name) when a separate VAE is loaded.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { hashFile } from '../../models/hash';
import { invalidParam } from '../errors';

const VAE_EXTS = ['.pt', '.ckpt', '.safetensors'];

/** A1111's vae_dict: file name → path; `<modelsRoot>/VAE` (recursively), then `*.vae.*` beside the checkpoint. */
export function listVaeFiles(modelsRoot: string, checkpoint?: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, depth: number, maxDepth: number, accept: (name: string) => boolean): void => {
    if (depth > maxDepth || !existsSync(dir)) return;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        walk(p, depth + 1, maxDepth, accept);
      } else if (accept(n) && !out.has(n)) out.set(n, p);
    }
  };
  if (modelsRoot) walk(join(modelsRoot, 'VAE'), 0, 8, (n) => VAE_EXTS.includes(extname(n).toLowerCase()));
  if (checkpoint) walk(dirname(checkpoint), 0, 0, (n) => /\.vae\.(pt|ckpt|safetensors)$/i.test(n));
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
