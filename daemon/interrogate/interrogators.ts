// One interrogator per method, its models loaded before the first image: Interrogate CLIP (BLIP caption + CLIP
// ranking of the term lists), DeepBooru and the WD14 tagger. Each describes an image as A1111 would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir, hashFile } from '../../models/hash';
import { resizeForImg2Img } from '../image/resize';
import type { RgbImage } from '../image/rgbImage';
import { clipTokenizerDir, findBertVocab, findBlip, findClip, findDeepbooru, findTermListsDir, findWd14 } from '../modelFiles/interrogateFiles';
import type { InterrogateModels, ReportStage } from '../parts/interrogateModels';
import type { TokenizerStore } from '../prompt/tokenizerStore';
import type { InterrogateImageResult, InterrogateMethod, InterrogateSettings } from '../protocol';
import { BertTokenizer } from './bertTokenizer';
import { blipCaption } from './caption';
import { interrogateText, normalizeRows, rankCategories, type TextFeatureSource } from './clipInterrogate';
import { clipPixels } from './clipPreprocess';
import { deepbooruInput } from './deepbooruInput';
import { formatTags, selectTags } from './tagFormat';
import { loadCategories } from './termLists';
import { parseSelectedTags, wd14Input } from './wd14';

export type Description = Required<Pick<InterrogateImageResult, 'caption' | 'details'>>;

export interface Interrogator {
  describe(img: RgbImage, signal: AbortSignal): Promise<Description>;
}

export interface InterrogatorContext {
  models: InterrogateModels;
  tokenizers: TokenizerStore;
  modelsRoot: string;
  /** The configured SD model (its tokenizer/ may serve the term lists). */
  modelSetting: string;
  settings: InterrogateSettings;
  report: ReportStage;
  notice: (message: string) => void;
  cacheDir?: string;
}

export async function openInterrogator(method: InterrogateMethod, c: InterrogatorContext): Promise<Interrogator> {
  if (method === 'deepbooru') return deepbooru(c);
  if (method === 'wd14') return wd14(c);
  return clip(c);
}

async function clip(c: InterrogatorContext): Promise<Interrogator> {
  const s = c.settings;
  const blipFile = findBlip(c.modelsRoot);
  const bert = BertTokenizer.fromFile(findBertVocab(blipFile));
  const clipFile = findClip(c.modelsRoot);
  const blip = await c.models.blip(blipFile, c.report);
  const vision = await c.models.clipVision(clipFile, c.report);
  const text = await c.models.clipText(clipFile, c.report);
  const listsDir = findTermListsDir(c.modelsRoot);
  c.notice(listsDir ? `term lists from ${listsDir}` : "SD Studio's built-in term lists (no interrogate/ folder with .txt files under the models root)");
  const categories = loadCategories(listsDir, s.clipSkipCategories);
  const source: TextFeatureSource = {
    text, tokenizer: c.tokenizers.get(clipTokenizerDir(clipFile, c.modelSetting)), modelId: (await hashFile(clipFile)).sha256,
    cacheDir: c.cacheDir ?? join(defaultCacheDir(), 'interrogate'), report: (d, t) => c.report(`CLIP: encoding the term lists ${d}/${t} (once per model)`),
  };
  return {
    async describe(img, signal) {
      const caption = await blipCaption(blip, bert, img, { numBeams: s.clipNumBeams, minLength: s.clipMinLength, maxLength: s.clipMaxLength, signal });
      const image = normalizeRows(await vision.embed(clipPixels(img, vision.size)), vision.embedDim);
      const ranked = await rankCategories(image, categories, s.clipDictLimit, { ...source, signal });
      return { caption: interrogateText(caption, ranked, s.returnRanks), details: { caption, categories: ranked } };
    },
  };
}

function tagDescription(tags: ReturnType<typeof selectTags>, s: InterrogateSettings): Description {
  const caption = formatTags(tags, { useSpaces: s.deepbooruUseSpaces, escape: s.deepbooruEscape, returnRanks: s.returnRanks });
  return { caption, details: { tags } };
}

async function deepbooru(c: InterrogatorContext): Promise<Interrogator> {
  const s = c.settings;
  const tagger = await c.models.deepbooru(findDeepbooru(c.modelsRoot), c.report);
  return {
    async describe(img) {
      // A1111 tag_multi: images.resize_image(2, img, 512, 512) (resize and fill), u8 / 255.
      const x = deepbooruInput(await resizeForImg2Img(img, 2, tagger.size, tagger.size));
      const tags = selectTags(tagger.tags, await tagger.scores(x), { threshold: s.deepbooruThreshold, sortAlpha: s.deepbooruSortAlpha, filterTags: s.deepbooruFilterTags });
      return tagDescription(tags, s);
    },
  };
}

async function wd14(c: InterrogatorContext): Promise<Interrogator> {
  const s = c.settings;
  const files = findWd14(c.modelsRoot, s.wd14Model);
  const { names, ratings } = parseSelectedTags(readFileSync(files.tags, 'utf8'));
  const tagger = await c.models.wd14(files.model, names);
  c.notice(`WD14 tagger: ${files.name}`);
  return {
    async describe(img) {
      const scores = (await tagger.scores(await wd14Input(img, tagger.size))).slice();
      for (const r of ratings) scores[r] = -1; // ratings are reported by the tagger apart, never as tags
      // The tagger lists tags by falling confidence; spaces, escapes and filters as DeepBooru's settings say.
      return tagDescription(selectTags(tagger.tags, scores, { threshold: s.wd14Threshold, sortAlpha: false, filterTags: s.deepbooruFilterTags }), s);
    },
  };
}
