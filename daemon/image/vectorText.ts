// Text drawn without any system font: Roboto Regular's outlines (the font A1111 draws grid labels with; SIL Open
// Font License 1.1, daemon/image/font/OFL.txt) ship as SVG paths in font/roboto.json (built by
// scripts/buildGlyphs.mjs), laid out here with PIL's simple advance-width layout and rasterised by sharp's SVG
// renderer, which needs no fonts for paths. Characters the font lacks are drawn as a box (PIL's "tofu").
import sharp from 'sharp';
import font from './font/roboto.json';
import type { RgbImage } from './rgbImage';

interface FontData {
  unitsPerEm: number;
  ascender: number;
  descender: number;
  glyphs: Record<string, [advance: number, path: string]>;
}

const FONT = font as unknown as FontData;
const TOFU: [number, string] = [1100, 'M150 0L950 0L950 1400L150 1400ZM250 100L250 1300L850 1300L850 100Z'];

/** Vertical ink extent of each glyph (font units, y up), from its path's points. */
function inkOf(path: string): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of path.matchAll(/[MLQCZ]([^MLQCZ]*)/g)) {
    const nums = m[1]!.trim().split(/\s+/).filter(Boolean).map(Number);
    for (let i = 1; i < nums.length; i += 2) {
      lo = Math.min(lo, nums[i]!);
      hi = Math.max(hi, nums[i]!);
    }
  }
  return lo === Infinity ? [0, 0] : [lo, hi];
}

const glyph = (ch: string): [number, string] => FONT.glyphs[ch] ?? (/\s/.test(ch) ? [FONT.glyphs[' ']![0], ''] : TOFU);

/** PIL `textlength`: the sum of advances at `size` px per em. */
export function textLength(text: string, size: number): number {
  let units = 0;
  for (const ch of text) units += glyph(ch)[0];
  return (units * size) / FONT.unitsPerEm;
}

/** PIL `textbbox` of one line at anchor "la": advance width, and ink height from its highest to lowest point. */
export function textSize(text: string, size: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const ch of text) {
    const [a, b] = inkOf(glyph(ch)[1]);
    if (a === 0 && b === 0) continue;
    lo = Math.min(lo, a);
    hi = Math.max(hi, b);
  }
  const h = lo === Infinity ? 0 : ((hi - lo) * size) / FONT.unitsPerEm;
  return [Math.round(textLength(text, size)), Math.round(h)];
}

export type Rgb = readonly [number, number, number];

/** One piece of text to draw: centred on (x, y) as PIL's anchor "mm" (middle of ascender and descender). */
export interface TextItem {
  text: string;
  x: number;
  y: number;
  size: number;
  color: Rgb;
}

export interface LineItem {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  width: number;
  color: Rgb;
}

const hex = (c: Rgb): string => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/** The SVG of `items` as filled glyph paths (no <text>, so no font lookup happens when it is rendered). */
export function textSvg(width: number, height: number, items: readonly TextItem[], lines: readonly LineItem[] = []): string {
  const parts: string[] = [];
  for (const t of items) {
    const s = t.size / FONT.unitsPerEm;
    let pen = t.x - textLength(t.text, t.size) / 2;
    const baseline = t.y + ((FONT.ascender + FONT.descender) / 2) * s;
    const paths: string[] = [];
    for (const ch of t.text) {
      const [adv, d] = glyph(ch);
      if (d) paths.push(`<path transform="translate(${pen.toFixed(2)} ${baseline.toFixed(2)}) scale(${s.toFixed(6)} ${(-s).toFixed(6)})" d="${d}"/>`);
      pen += adv * s;
    }
    parts.push(`<g fill="${hex(t.color)}">${paths.join('')}</g>`);
  }
  for (const l of lines) parts.push(`<line x1="${l.x1}" y1="${l.y1}" x2="${l.x2}" y2="${l.y2}" stroke="${hex(l.color)}" stroke-width="${l.width}"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Draws the items over `img` (a new image). */
export async function drawText(img: RgbImage, items: readonly TextItem[], lines: readonly LineItem[] = []): Promise<RgbImage> {
  if (items.length === 0 && lines.length === 0) return img;
  const svg = Buffer.from(textSvg(img.width, img.height, items, lines));
  const { data, info } = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 3 } })
    .composite([{ input: svg, top: 0, left: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}
