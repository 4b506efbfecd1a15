// A1111's grid legends (`modules/images.py: draw_grid_annotations`, `draw_prompt_matrix`): column labels above,
// row labels to the left, words wrapped to the cell width, the font shrunk for a line that still does not fit,
// inactive labels grey and struck through; cells may be spaced by a margin. Text is vector Roboto (vectorText.ts).
import { filledRgb, GRID_BACKGROUND } from './grid';
import { pasteInto } from './paste';
import type { RgbImage } from './rgbImage';
import { drawText, textLength, textSize, type LineItem, type Rgb, type TextItem } from './vectorText';

/** `GridAnnotation`: one label line; inactive ones are drawn grey with a line through (prompt matrix). */
export interface GridAnnotation {
  text: string;
  isActive?: boolean;
}

const ACTIVE: Rgb = [0, 0, 0];
const INACTIVE: Rgb = [153, 153, 153];

interface Line {
  text: string;
  isActive: boolean;
  size: [number, number];
  allowed: number;
}

/** `wrap`: words joined while the line's length fits `max`. */
function wrap(text: string, size: number, max: number): string[] {
  const lines = [''];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const line = `${lines[lines.length - 1]} ${word}`.trim();
    if (textLength(line, size) <= max) lines[lines.length - 1] = line;
    else lines.push(word);
  }
  return lines;
}

/** `draw_grid_annotations(im, width, height, hor_texts, ver_texts, margin)`: cells are width × height. */
export async function drawGridAnnotations(im: RgbImage, width: number, height: number, horTexts: GridAnnotation[][], verTexts: GridAnnotation[][], margin = 0): Promise<RgbImage> {
  const fontsize = Math.floor((width + height) / 25);
  const spacing = Math.floor(fontsize / 2);
  const padLeft = verTexts.some((ls) => ls.some((l) => l.text.length > 0)) ? Math.floor((width * 3) / 4) : 0;
  const cols = Math.floor(im.width / width);
  const rows = Math.floor(im.height / height);
  if (cols !== horTexts.length) throw new Error(`bad number of horizontal texts: ${horTexts.length}; must be ${cols}`);
  if (rows !== verTexts.length) throw new Error(`bad number of vertical texts: ${verTexts.length}; must be ${rows}`);
  const layout = (texts: GridAnnotation[][], allowed: number): Line[][] => texts.map((items) => items.flatMap((a) =>
    wrap(a.text, fontsize, allowed).map((t) => ({ text: t, isActive: a.isActive !== false, size: textSize(t, fontsize), allowed }))));
  const hor = layout(horTexts, width);
  const ver = layout(verTexts, padLeft);
  const horHeights = hor.map((ls) => ls.reduce((s, l) => s + l.size[1] + spacing, 0) - spacing);
  // A1111 subtracts the spacing once per line for the row labels (its quirk, kept for the same layout).
  const verHeights = ver.map((ls) => ls.reduce((s, l) => s + l.size[1] + spacing, 0) - spacing * ls.length);
  const padTop = horHeights.reduce((a, b) => a + b, 0) === 0 ? 0 : Math.max(...horHeights) + spacing * 2;

  const result = filledRgb(im.width + padLeft + margin * (cols - 1), im.height + padTop + margin * (rows - 1), GRID_BACKGROUND);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const cell = filledRgb(width, height, GRID_BACKGROUND);
      for (let y = 0; y < height; y++) cell.data.set(im.data.subarray(((row * height + y) * im.width + col * width) * 3, ((row * height + y) * im.width + (col + 1) * width) * 3), y * width * 3);
      pasteInto(result, cell, padLeft + (width + margin) * col, padTop + (height + margin) * row, 3);
    }
  }
  const items: TextItem[] = [];
  const strikes: LineItem[] = [];
  const drawTexts = (x: number, y0: number, lines: Line[]): void => {
    let y = y0;
    for (const line of lines) {
      let size = fontsize;
      while (textLength(line.text, size) > line.allowed && size > 0) size--;
      const color = line.isActive ? ACTIVE : INACTIVE;
      items.push({ text: line.text, x, y: y + line.size[1] / 2, size, color });
      if (!line.isActive) {
        const yy = y + Math.floor(line.size[1] / 2);
        strikes.push({ x1: x - Math.floor(line.size[0] / 2), y1: yy, x2: x + Math.floor(line.size[0] / 2), y2: yy, width: 4, color: INACTIVE });
      }
      y += line.size[1] + spacing;
    }
  };
  hor.forEach((lines, col) => drawTexts(padLeft + (width + margin) * col + width / 2, padTop / 2 - horHeights[col]! / 2, lines));
  ver.forEach((lines, row) => drawTexts(padLeft / 2, padTop + (height + margin) * row + height / 2 - verHeights[row]! / 2, lines));
  return drawText(result, items, strikes);
}

/** `draw_prompt_matrix`: the prompt's `|` parts as on/off labels, the first half across, the rest down. */
export function drawPromptMatrix(im: RgbImage, width: number, height: number, allPrompts: string[], margin = 0): Promise<RgbImage> {
  const prompts = allPrompts.slice(1);
  const boundary = Math.ceil(prompts.length / 2);
  const horiz = prompts.slice(0, boundary);
  const vert = prompts.slice(boundary);
  const labels = (parts: string[]): GridAnnotation[][] => Array.from({ length: 1 << parts.length }, (_, pos) => parts.map((text, i) => ({ text, isActive: (pos & (1 << i)) !== 0 })));
  return drawGridAnnotations(im, width, height, labels(horiz), labels(vert), margin);
}
