import type { SdModel } from '../parts/sdModel';
import { CONTEXT_TOKENS } from '../parts/textEncoder';

/** Text conditioning for the UNet: `tokens` × `dim` hidden states (tokens = 77 · chunks). */
export interface Conditioning {
  hidden: Float32Array;
  tokens: number;
  dim: number;
}

/**
 * Encodes each distinct text once per job. The 77-token window: BOS, up to 75 prompt tokens, EOS, padding
 * (A1111 syntax, chunks and emphasis plug in here through `idsFor`).
 */
export class PromptEncoder {
  private readonly cache = new Map<string, Promise<Conditioning>>();

  constructor(private readonly model: SdModel) {}

  encode(text: string): Promise<Conditioning> {
    let c = this.cache.get(text);
    if (!c) {
      c = this.run(text);
      this.cache.set(text, c);
    }
    return c;
  }

  idsFor(text: string): Int32Array {
    const tok = this.model.tokenizer;
    const ids = new Int32Array(CONTEXT_TOKENS).fill(this.model.padId);
    const body = tok.encode(text).slice(0, CONTEXT_TOKENS - 2);
    ids[0] = tok.bosId;
    ids.set(body, 1);
    ids[body.length + 1] = tok.eosId;
    return ids;
  }

  private async run(text: string): Promise<Conditioning> {
    const { hidden, dim } = await this.model.textEncoder.encode(this.idsFor(text));
    return { hidden, tokens: CONTEXT_TOKENS, dim };
  }
}
