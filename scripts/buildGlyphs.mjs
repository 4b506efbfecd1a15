// Builds daemon/image/font/roboto.json: the outlines of Roboto Regular (the font A1111 draws grid labels with,
// SIL Open Font License 1.1 — see daemon/image/font/OFL.txt) for Latin, Latin Extended, Greek and Cyrillic, as
// integer SVG paths in font units. Grid labels are then drawn as vector paths, with no system font needed.
// One-off, not part of the build:
//   npm install --no-save opentype.js@2 @fontsource/roboto@5 && node scripts/buildGlyphs.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const opentype = require('opentype.js');
const dir = require.resolve('@fontsource/roboto/package.json').replace(/package\.json$/, 'files/');
const subsets = ['latin', 'latin-ext', 'greek', 'cyrillic'];
const glyphs = {};
let meta;
for (const subset of subsets) {
  const buf = readFileSync(`${dir}roboto-${subset}-400-normal.woff`);
  const font = opentype.parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  meta ??= { unitsPerEm: font.unitsPerEm, ascender: font.ascender, descender: font.descender };
  for (let i = 0; i < font.glyphs.length; i++) {
    const g = font.glyphs.get(i);
    for (const cp of g.unicodes ?? []) {
      const ch = String.fromCodePoint(cp);
      if (glyphs[ch]) continue;
      const d = g.path.commands.map((c) => {
        const r = (v) => Math.round(v);
        // Font units, y up: stored as they are; the renderer flips.
        switch (c.type) {
          case 'M': return `M${r(c.x)} ${r(c.y)}`;
          case 'L': return `L${r(c.x)} ${r(c.y)}`;
          case 'Q': return `Q${r(c.x1)} ${r(c.y1)} ${r(c.x)} ${r(c.y)}`;
          case 'C': return `C${r(c.x1)} ${r(c.y1)} ${r(c.x2)} ${r(c.y2)} ${r(c.x)} ${r(c.y)}`;
          case 'Z': return 'Z';
          default: return '';
        }
      }).join('');
      glyphs[ch] = [Math.round(g.advanceWidth), d];
    }
  }
}
writeFileSync(new URL('../daemon/image/font/roboto.json', import.meta.url), `${JSON.stringify({ font: 'Roboto Regular', license: 'SIL Open Font License 1.1', ...meta, glyphs })}\n`);
console.log(`${Object.keys(glyphs).length} glyphs`);
