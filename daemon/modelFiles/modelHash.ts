import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Short } from '../../models/hash';

/**
 * A1111's "Model hash" (`CheckpointInfo.calculate_shorthash`) is the short SHA-256 of the checkpoint file, the
 * same with any LoRA or VAE: `model` is the file the user named, never the ONNX folder built from it. An ONNX
 * folder has no single checkpoint: we hash the UNet's largest file (its weights), which identifies the model's
 * denoiser. Cached by path+size+mtime.
 */
export async function modelHashForFolder(dir: string): Promise<string | undefined> {
  try {
    // A checkpoint file: A1111's own "Model hash", the short SHA-256 of the file (cached).
    if (statSync(dir).isFile()) return await sha256Short(dir);
    const unetDir = join(dir, 'unet');
    let best: { path: string; size: number } | undefined;
    for (const name of readdirSync(unetDir)) {
      const path = join(unetDir, name);
      const st = statSync(path);
      if (st.isFile() && (!best || st.size > best.size)) best = { path, size: st.size };
    }
    return best ? await sha256Short(best.path) : undefined;
  } catch {
    return undefined;
  }
}
