// The BERT WordPiece tokenizer BLIP uses (bert-base-uncased's vocab.txt + BLIP's init_tokenizer: bos "[DEC]" and
// "[ENC]" appended as ids 30522, 30523), as transformers' slow BertTokenizer: BasicTokenizer (lower case, accents
// stripped, split on whitespace and punctuation) then greedy longest-match WordPiece with "##" continuations; and
// decode(skip_special_tokens=True): special tokens dropped, " ##" joined, clean_up_tokenization's spacing fixes.
import { readFileSync } from 'node:fs';

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '[DEC]', '[ENC]'];

const isPunct = (ch: string): boolean => {
  const c = ch.codePointAt(0)!;
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  return /\p{P}/u.test(ch);
};

export class BertTokenizer {
  private readonly ids = new Map<string, number>();
  readonly tokens: string[];
  private readonly specialIds: Set<number>;

  constructor(vocab: readonly string[]) {
    this.tokens = [...vocab];
    for (const t of ['[DEC]', '[ENC]']) if (!this.tokens.includes(t)) this.tokens.push(t);
    this.tokens.forEach((t, i) => {
      if (!this.ids.has(t)) this.ids.set(t, i);
    });
    this.specialIds = new Set(SPECIAL.map((t) => this.ids.get(t)).filter((x): x is number => x !== undefined));
  }

  static fromFile(vocabTxt: string): BertTokenizer {
    const lines = readFileSync(vocabTxt, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return new BertTokenizer(lines.map((l) => l.replace(/\r$/, '')));
  }

  id(token: string): number {
    const i = this.ids.get(token);
    if (i === undefined) throw new Error(`BERT vocabulary has no ${token}`);
    return i;
  }

  get size(): number {
    return this.tokens.length;
  }

  /** BasicTokenizer + WordPiece, without [CLS]/[SEP]. */
  encode(text: string): number[] {
    const words: string[] = [];
    const clean = text.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
    for (const chunk of clean.split(/\s+/)) {
      let cur = '';
      for (const ch of chunk) {
        if (isPunct(ch)) {
          if (cur) words.push(cur);
          words.push(ch);
          cur = '';
        } else cur += ch;
      }
      if (cur) words.push(cur);
    }
    const out: number[] = [];
    const unk = this.id('[UNK]');
    for (const w of words) {
      if (w.length > 100) {
        out.push(unk);
        continue;
      }
      const pieces: number[] = [];
      let start = 0;
      let bad = false;
      while (start < w.length) {
        let end = w.length;
        let found: number | undefined;
        while (start < end) {
          const sub = (start > 0 ? '##' : '') + w.slice(start, end);
          found = this.ids.get(sub);
          if (found !== undefined) break;
          end--;
        }
        if (found === undefined) {
          bad = true;
          break;
        }
        pieces.push(found);
        start = end;
      }
      out.push(...(bad ? [unk] : pieces));
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    const text = ids.filter((i) => !this.specialIds.has(i)).map((i) => this.tokens[i] ?? '[UNK]').join(' ').replace(/ ##/g, '').trim();
    return text
      .replace(/ \./g, '.').replace(/ \?/g, '?').replace(/ !/g, '!').replace(/ ,/g, ',').replace(/ ' /g, "'")
      .replace(/ n't/g, "n't").replace(/ 'm/g, "'m").replace(/ 's/g, "'s").replace(/ 've/g, "'ve").replace(/ 're/g, "'re");
  }
}
