// The prompt's `<lora:name:te[:unet]>` tags → the LoRA set merged into the checkpoint (models/lora.ts) and the
// infotext "Lora hashes" value, as A1111's ExtraNetworkLora.activate builds them. The tags themselves are removed
// from the text the encoder sees by the conditioning stage (parseExtraNetworks); the infotext keeps the prompt
// as written.
import { openWeights } from '../../models/formats/open';
import { hashFile } from '../../models/hash';
import type { LoraApply } from '../../models/lora';
import { describeFolder, findModelFile } from '../../models/registry';
import { invalidParam } from '../errors';
import { parseExtraNetworks, readLora } from '../prompt';

export interface PromptLoras {
  apply: LoraApply[];
  /** `name: 12hex, …` (A1111 alias with ':' and ',' removed); undefined when no LoRA is used. */
  hashes?: string;
}

/**
 * The LoRAs to apply. As A1111 does, a tag naming no file ("Network not found") and a file that cannot be read
 * are skipped with a warning naming them, and the job goes on; a malformed tag (a weight that is no number) fails.
 */
export async function resolvePromptLoras(prompt: string, modelsRoot: string, warn: (message: string) => void): Promise<PromptLoras> {
  const apply: LoraApply[] = [];
  for (const tag of parseExtraNetworks(prompt).networks) {
    if (tag.type !== 'lora' && tag.type !== 'lyco') continue;
    const r = readLora(tag);
    if ('error' in r) throw invalidParam('prompt', `<${tag.type}:${tag.items.join(':')}>: ${r.error}`);
    const file = findModelFile(modelsRoot, 'lora', r.lora.name);
    if (!file) {
      warn(modelsRoot
        ? `LoRA "${r.lora.name}" not found in ${describeFolder(modelsRoot, 'lora')}: the tag is ignored (A1111: Network not found)`
        : `LoRA "${r.lora.name}": no models root set (setting sdStudio.modelsRoot) to look for it in: the tag is ignored`);
      continue;
    }
    try {
      await openWeights(file);
    } catch (e) {
      warn(`LoRA file ${file} cannot be read, skipped: ${(e as Error).message}`);
      continue;
    }
    apply.push({ name: r.lora.name, file, te: r.lora.weight, unet: r.lora.unetWeight });
  }
  if (apply.length === 0) return { apply };
  const hashes: string[] = [];
  for (const l of apply) {
    const alias = l.name.replace(/[:,]/g, '');
    if (alias) hashes.push(`${alias}: ${(await hashFile(l.file)).lora}`);
  }
  return { apply, hashes: hashes.length ? hashes.join(', ') : undefined };
}
