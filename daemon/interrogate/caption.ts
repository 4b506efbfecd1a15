// BLIP's caption as A1111's InterrogateModels.generate_caption asks for it: the image resized to the model's side
// (384) with bicubic and CLIP's mean/std, BLIP_Decoder.generate(sample=False, num_beams, min_length, max_length)
// with the prompt "a picture of " ([DEC] instead of [CLS], the trailing [SEP] dropped), decoded with special tokens
// skipped and the prompt's characters cut off the front.
import type { RgbImage } from '../image/rgbImage';
import type { BlipPart } from '../parts/interrogators';
import type { BertTokenizer } from './bertTokenizer';
import { blipPixels } from './clipPreprocess';
import { generate } from './generate';

export const BLIP_PROMPT = 'a picture of ';

export interface CaptionOptions {
  numBeams: number;
  minLength: number;
  maxLength: number;
  signal?: AbortSignal;
  onToken?: (length: number) => void;
}

export async function blipCaption(blip: BlipPart, tokenizer: BertTokenizer, img: RgbImage, o: CaptionOptions): Promise<string> {
  if (tokenizer.size !== blip.info.vocab) throw new Error(`BLIP's vocabulary has ${blip.info.vocab} tokens, the BERT vocab.txt (+ [DEC], [ENC]) ${tokenizer.size}`);
  const state = await blip.encode(blipPixels(img, blip.info.size));
  const prompt = [tokenizer.id('[DEC]'), ...tokenizer.encode(BLIP_PROMPT)];
  const ids = await generate((seqs) => blip.next(state, seqs), {
    prompt, numBeams: o.numBeams, minLength: o.minLength, maxLength: o.maxLength,
    eos: tokenizer.id('[SEP]'), pad: tokenizer.id('[PAD]'), signal: o.signal, onStep: o.onToken,
  });
  return tokenizer.decode(ids).slice(BLIP_PROMPT.length);
}
