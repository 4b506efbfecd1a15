// The WD14 tagger (SmilingWolf's wd-v1-4-* ONNX exports, as the WD14 tagger extensions run them): the image with
// alpha over white, RGB → BGR, padded to a square with white (centred: top = Δ // 2), resized to the model's side
// (area when shrinking, cubic when growing; sharp's kernels here), float32 0..255, NHWC. `selected_tags.csv`
// (tag_id,name,category,count) names the scores; category 9 rows are the ratings, which are not tags.
import sharp from 'sharp';
import type { RgbImage } from '../image/rgbImage';

export interface Wd14Tags {
  /** Every row's name, in score order. */
  names: string[];
  /** Rows that are ratings (category 9), left out of the tags. */
  ratings: Set<number>;
}

export function parseSelectedTags(csv: string): Wd14Tags {
  const lines = csv.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines.shift()?.split(',') ?? [];
  const nameCol = header.indexOf('name');
  const catCol = header.indexOf('category');
  if (nameCol < 0) throw new Error('selected_tags.csv has no "name" column');
  const names: string[] = [];
  const ratings = new Set<number>();
  lines.forEach((l, i) => {
    const cols = l.split(',');
    names.push(cols[nameCol] ?? '');
    if (catCol >= 0 && cols[catCol] === '9') ratings.add(i);
  });
  return { names, ratings };
}

export async function wd14Input(img: RgbImage, size: number): Promise<Float32Array> {
  const side = Math.max(img.width, img.height, size);
  const top = Math.floor((side - img.height) / 2);
  const left = Math.floor((side - img.width) / 2);
  const square = new Uint8Array(side * side * 3).fill(255);
  for (let y = 0; y < img.height; y++) square.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((top + y) * side + left) * 3);
  let px: Uint8Array = square;
  if (side !== size) {
    const buf = await sharp(square, { raw: { width: side, height: side, channels: 3 } }).resize(size, size, { kernel: side > size ? 'mitchell' : 'cubic' }).raw().toBuffer();
    px = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }
  const out = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    out[3 * i] = px[3 * i + 2]!;
    out[3 * i + 1] = px[3 * i + 1]!;
    out[3 * i + 2] = px[3 * i]!;
  }
  return out;
}
