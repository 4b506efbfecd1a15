/**
 * What the pure language providers need from the world, gathered once per request by `index.ts`: the sampler
 * catalog, the LoRA and embedding files of the models root, the tokenizer, and file existence. Tests build one
 * by hand.
 */
import type { ClipTokenizer } from '../prompt';

/** A LoRA or embedding file found under the models root. */
export interface NetworkFile {
  /** The name A1111 uses: the file name without extension. */
  name: string;
  path: string;
  size: number;
}

export interface LanguageEnv {
  samplers: ReadonlyArray<{ name: string; aliases: string[]; defaultScheduler: string }>;
  schedulers: readonly string[];
  /** Lower-cased name → file. */
  loras: ReadonlyMap<string, NetworkFile>;
  embeddings: ReadonlyMap<string, NetworkFile>;
  /** The folders scanned; empty when no models root is configured (then unknown names are not reported). */
  loraFolders: readonly string[];
  embeddingFolders: readonly string[];
  tokenizer: ClipTokenizer | null;
  /** Style names of A1111's styles.csv; null when no styles file can be located (unknown names are not reported). */
  styles: readonly string[] | null;
  /** Image upscaler names (the hires fix's and X/Y/Z's "Hires upscaler" values besides the latent modes). */
  upscalers: readonly string[];
  /** Folder of the `.sdprompt` file (null for an unsaved one): `@init`/`@mask` are relative to it. */
  docDir: string | null;
  exists(path: string): boolean;
  /** Hashes of a model file if known now; 'pending' while they are being computed (hover asks again later). */
  hashes?(path: string): FileHashSummary | 'pending' | null;
}

export interface FileHashSummary {
  sha256: string;
  autoV2: string;
  /** A1111 "Lora hashes" value. */
  lora: string;
  /** A1111 "TI hashes" value. */
  ti: string;
}

export function emptyEnv(over: Partial<LanguageEnv> = {}): LanguageEnv {
  return {
    samplers: [], schedulers: [], loras: new Map(), embeddings: new Map(), loraFolders: [], embeddingFolders: [],
    tokenizer: null, styles: null, upscalers: [], docDir: null, exists: () => false, ...over,
  };
}

export const findNetwork = (files: ReadonlyMap<string, NetworkFile>, name: string): NetworkFile | undefined => files.get(name.toLowerCase());
