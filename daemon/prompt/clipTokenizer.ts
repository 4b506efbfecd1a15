/**
 * CLIP's byte-level BPE tokenizer (openai/CLIP `simple_tokenizer.py`, HF `CLIPTokenizer`), as Stable Diffusion
 * 1.x (HF CLIPTokenizer) and 2.x (open_clip SimpleTokenizer, same vocabulary and merges) use it.
 *
 * Cleaning follows the `tokenizer.json` normalizer (NFC, whitespace runs → one space, lowercase) — i.e. the
 * ftfy-less path. `encode` returns ids WITHOUT <|startoftext|>/<|endoftext|>: A1111 tokenizes each attention
 * fragment bare and adds BOS/EOS per 75-token chunk (see `chunker.ts`).
 *
 * The only I/O is `fromFiles`/`fromDir` (two reads); the rest is pure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The CLIP pre-tokenizer regex; `u` flag for \p{…}. Whitespace is never part of a match, so it separates words. */
const CLIP_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/gu;

/** Runs of Unicode White_Space (what the Rust normalizer's `\s+` matches; JS `\s` differs on U+0085/U+FEFF). */
const WHITESPACE_RUN = /\p{White_Space}+/gu;

const BOS_TOKEN = '<|startoftext|>';
const EOS_TOKEN = '<|endoftext|>';
const END_OF_WORD = '</w>';

/** Bounded so that a long-running daemon fed arbitrary text cannot grow without limit. */
const CACHE_LIMIT = 100_000;

export type TextEncoderKind = 'sd1' | 'sd2';

/**
 * GPT-2's bytes_to_unicode: printable bytes map to themselves, the other 68 bytes to U+0100.. in order,
 * so that every byte sequence becomes a string with no whitespace/control characters.
 */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const table: string[] = new Array(256);
  for (const b of bs) table[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + n++);
  }
  return table;
}

const BYTE_TO_UNICODE = bytesToUnicode();
const utf8 = new TextEncoder();

/** NFC, whitespace runs to one space, trimmed, lowercased (HF `tokenizer.json` normalizer; trimming is harmless). */
export function cleanText(text: string): string {
  return text.normalize('NFC').replace(WHITESPACE_RUN, ' ').trim().toLowerCase();
}

export class ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  /** SD1 (HF CLIP) pads with EOS. */
  readonly padId: number;
  readonly vocabSize: number;
  /** The id of ",</w>": the chunker's comma backtrack looks for it. */
  readonly commaId: number;

  private readonly encoder: Map<string, number>;
  private readonly decoder: string[];
  /** "a b" → merge rank (lower merges first). Symbols never contain a space (byte 0x20 maps to "Ġ"). */
  private readonly ranks: Map<string, number>;
  /** Byte-encoded word → its ids. Most prompts repeat words, so this is the hot path. */
  private readonly cache = new Map<string, number[]>();

  constructor(vocab: Record<string, number>, merges: string[]) {
    this.encoder = new Map(Object.entries(vocab));
    this.decoder = [];
    for (const [tok, id] of this.encoder) this.decoder[id] = tok;
    this.vocabSize = this.encoder.size;
    this.ranks = new Map();
    merges.forEach((m, i) => this.ranks.set(m, i));
    this.bosId = this.requireId(BOS_TOKEN);
    this.eosId = this.requireId(EOS_TOKEN);
    this.padId = this.eosId;
    this.commaId = this.requireId(',' + END_OF_WORD);
  }

  /** `vocab.json` (token → id) and `merges.txt` (optional "#version" header, then one "a b" merge per line). */
  static fromFiles(vocabJsonPath: string, mergesTxtPath: string): ClipTokenizer {
    const vocab = JSON.parse(readFileSync(vocabJsonPath, 'utf8')) as Record<string, number>;
    const merges = readFileSync(mergesTxtPath, 'utf8')
      .split(/\r?\n/)
      .filter((line, i) => line.length > 0 && !(i === 0 && line.startsWith('#version')));
    return new ClipTokenizer(vocab, merges);
  }

  /** A diffusers `tokenizer/` folder (or the shared fixture folder): `vocab.json` + `merges.txt`. */
  static fromDir(dir: string): ClipTokenizer {
    return ClipTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'));
  }

  /** SD1 (CLIP ViT-L) pads with EOS; SD2 (open_clip ViT-H) pads with id 0 ("!"). */
  padIdFor(kind: TextEncoderKind): number {
    return kind === 'sd2' ? 0 : this.eosId;
  }

  /** CLIP ids for `text`, without BOS/EOS, no truncation. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const m of cleanText(text).matchAll(CLIP_PATTERN)) {
      const ids = this.encodeWord(m[0]);
      for (let i = 0; i < ids.length; i++) out.push(ids[i]!);
    }
    return out;
  }

  /** The vocabulary string of an id ("cat</w>"), or "" for an unknown id. */
  tokenToString(id: number): string {
    return this.decoder[id] ?? '';
  }

  /** Best-effort text of ids (byte-level decoding, "</w>" → space); for displays, not for round trips. */
  decode(ids: readonly number[]): string {
    const unicodeToByte = new Map(BYTE_TO_UNICODE.map((c, b) => [c, b]));
    const bytes: number[] = [];
    for (const id of ids) {
      const tok = this.tokenToString(id);
      if (tok === BOS_TOKEN || tok === EOS_TOKEN) continue;
      const word = tok.endsWith(END_OF_WORD) ? tok.slice(0, -END_OF_WORD.length) : tok;
      for (const ch of word) bytes.push(unicodeToByte.get(ch) ?? 0x3f);
      if (word !== tok) bytes.push(0x20);
    }
    return new TextDecoder().decode(Uint8Array.from(bytes)).trim();
  }

  private requireId(token: string): number {
    const id = this.encoder.get(token);
    if (id === undefined) throw new Error(`CLIP vocab has no ${JSON.stringify(token)}: not a CLIP vocab.json`);
    return id;
  }

  /** One pre-tokenizer match → ids, through the cache. */
  private encodeWord(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    let ids: number[];
    if (word === BOS_TOKEN) ids = [this.bosId];
    else if (word === EOS_TOKEN) ids = [this.eosId];
    else {
      let mapped = '';
      for (const b of utf8.encode(word)) mapped += BYTE_TO_UNICODE[b];
      ids = this.bpe(mapped).map((s) => this.encoder.get(s) ?? this.eosId /* unk = EOS, as CLIPTokenizer */);
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }

  /** CLIP's BPE: the last symbol carries "</w>"; repeatedly merge the lowest-ranked adjacent pair everywhere. */
  private bpe(token: string): string[] {
    const chars = Array.from(token);
    let word = chars.slice(0, -1);
    word.push(chars[chars.length - 1] + END_OF_WORD);
    while (word.length > 1) {
      let best = Infinity;
      let first = '';
      let second = '';
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(word[i] + ' ' + word[i + 1]);
        if (r !== undefined && r < best) {
          best = r;
          first = word[i]!;
          second = word[i + 1]!;
        }
      }
      if (best === Infinity) break;
      const merged: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(word[i]!);
          i += 1;
        }
      }
      word = merged;
    }
    return word;
  }
}
