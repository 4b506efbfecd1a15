// /sdapi/v1/extra-single-image, /extra-batch-images and /png-info: A1111's JSON ↔ `sd/extras` and the PNG info
// readers. Images in and out are base64 PNG, as A1111 sends them.
import { readImageRef } from '../image/decode';
import { parseGenerationParameters } from '../infotext/a1111';
import { readGenerationInfoBytes } from '../infotext/readInfo';
import type { ExtrasParams } from '../protocol';
import type { ApiContext } from './context';
import { HttpError } from './errors';
import { EXTRAS_FIELDS, parseRequest, type FieldSpec } from './fields';
import { imageData } from './generate';

/** `ui_common.plaintext_to_html`. */
const toHtml = (text: string): string =>
  `<p>${text.split('\n').map((l) => l.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;')).join('<br>\n')}</p>`;

async function runExtras(api: ApiContext, v: Record<string, unknown>, images: string[]): Promise<{ images: string[]; html: string }> {
  const num = (k: string): number | undefined => (typeof v[k] === 'number' ? (v[k] as number) : undefined);
  const params: ExtrasParams = {
    images,
    resize_mode: num('resize_mode') === 1 ? 1 : 0,
    upscaling_resize: num('upscaling_resize') ?? 2,
    upscaling_resize_w: num('upscaling_resize_w') ?? 512,
    upscaling_resize_h: num('upscaling_resize_h') ?? 512,
    upscaling_crop: v.upscaling_crop !== false,
    upscaler_1: (v.upscaler_1 as string | null) ?? 'None',
    upscaler_2: (v.upscaler_2 as string | null) ?? 'None',
    extras_upscaler_2_visibility: num('extras_upscaler_2_visibility') ?? 0,
    gfpgan_visibility: num('gfpgan_visibility') ?? 0,
    codeformer_visibility: num('codeformer_visibility') ?? 0,
    codeformer_weight: num('codeformer_weight') ?? 0,
    save_images: false,
    send_images: true,
    jobId: `task(extras-${Date.now()}-${Math.random().toString(36).slice(2)})`,
  };
  api.progress.label(params.jobId!, 'extras');
  const r = await api.server.call('sd/extras', params);
  const failed = r.images.find((i) => i.error);
  if (failed) throw new HttpError(500, `${failed.source}: ${failed.error}`);
  return { images: r.images.map((i) => i.png ?? ''), html: toHtml(r.images.at(-1)?.info ?? '') };
}

export async function extraSingleImage(api: ApiContext, body: unknown): Promise<unknown> {
  const fields: FieldSpec[] = [...EXTRAS_FIELDS, ['image', 'string', '']];
  const { values } = parseRequest(body, fields);
  const r = await runExtras(api, values, [imageData(values.image, 'image')]);
  return { html_info: r.html, image: r.images[0] ?? null };
}

export async function extraBatchImages(api: ApiContext, body: unknown): Promise<unknown> {
  const fields: FieldSpec[] = [...EXTRAS_FIELDS, ['imageList', 'array', null]];
  const { values } = parseRequest(body, fields, ['imageList']);
  const list = values.imageList as unknown[];
  const images = list.map((f, i) => {
    const data = (f as { data?: unknown })?.data;
    return imageData(data, `imageList[${i}].data`);
  });
  const r = await runExtras(api, values, images);
  return { html_info: r.html, images: r.images };
}

/** A1111 `pnginfoapi`: the infotext, the other text entries, and `parse_generation_parameters` of the infotext. */
export function pngInfo(body: unknown): unknown {
  const { values } = parseRequest(body, [['image', 'string', null]], ['image']);
  const bytes = readImageRef(imageData(values.image, 'image'), 'image').bytes;
  const info = readGenerationInfoBytes(bytes);
  if (info.container === 'unknown') throw new HttpError(500, 'Invalid encoded image');
  const geninfo = info.infotext ?? '';
  const items: Record<string, string> = {};
  for (const [k, text] of Object.entries(info.raw)) if (k !== 'parameters') items[k] = text;
  const parsed = parseGenerationParameters(geninfo);
  return { info: geninfo, items, parameters: { Prompt: parsed.prompt, 'Negative prompt': parsed.negativePrompt, ...parsed.fields } };
}
