// The CLIP tokenizer shipped with SD Studio: OpenAI's BPE file (bpe_simple_vocab_16e6.txt.gz, MIT, licence note
// in models/clip-tokenizer/LICENSE-NOTE.txt), embedded in the bundle. SD 1.x and 2.x share it. It is turned into
// the Hugging Face files (vocab.json + merges.txt) as openai/CLIP `simple_tokenizer.py: SimpleTokenizer.__init__`
// builds its vocabulary, written once into the cache, and used wherever a model brings no tokenizer of its own.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import bpeGz from './clip-tokenizer/bpe_simple_vocab_16e6.txt.gz';
import { defaultCacheDir } from './hash';
import { writeFileAtomicSync } from './formats/atomicFile';

/** SimpleTokenizer: merges = lines 1 … 49152 − 256 − 2 of the file (line 0 is the "#version" header). */
const MERGE_COUNT = 49152 - 256 - 2;

/** GPT-2's bytes_to_unicode values in dict order: the printable bytes as themselves, then the rest from U+0100. */
function byteSymbols(): string[] {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  for (let b = 0; b < 256; b++) if (printable(b)) out.push(String.fromCharCode(b));
  let n = 0;
  for (let b = 0; b < 256; b++) if (!printable(b)) out.push(String.fromCharCode(256 + n++));
  return out;
}

/** vocab.json (token → id) and merges.txt text of the Hugging Face CLIPTokenizer, from the BPE file's text. */
export function clipFilesFromBpe(bpeText: string): { vocab: Record<string, number>; merges: string } {
  const merges = bpeText.split('\n').slice(1, MERGE_COUNT + 1);
  if (merges.length !== MERGE_COUNT) throw new Error(`CLIP BPE file: ${merges.length} merges, expected ${MERGE_COUNT}`);
  const symbols = byteSymbols();
  const tokens = [...symbols, ...symbols.map((s) => `${s}</w>`), ...merges.map((m) => m.replace(' ', '')), '<|startoftext|>', '<|endoftext|>'];
  const vocab: Record<string, number> = Object.create(null) as Record<string, number>;
  tokens.forEach((t, i) => (vocab[t] = i));
  return { vocab, merges: `#version: 0.2\n${merges.join('\n')}\n` };
}

/**
 * A folder with the bundled tokenizer's vocab.json + merges.txt (`<cache>/clip-tokenizer/`), written on first
 * use (each file atomically, vocab.json last: a half-written folder is never taken for a tokenizer).
 */
export function bundledTokenizerDir(cacheDir: string = defaultCacheDir()): string {
  const dir = join(cacheDir, 'clip-tokenizer');
  if (existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'))) return dir;
  const { vocab, merges } = clipFilesFromBpe(gunzipSync(bpeGz).toString('utf8'));
  mkdirSync(dir, { recursive: true });
  writeFileAtomicSync(join(dir, 'merges.txt'), merges);
  writeFileAtomicSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
  return dir;
}
