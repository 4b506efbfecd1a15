import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { interrogateText, rankTexts } from '../../../daemon/interrogate/clipInterrogate';
import { limitItems, loadCategories } from '../../../daemon/interrogate/termLists';
import { BUILTIN_TERM_LISTS } from '../../../daemon/interrogate/builtinTerms';
import { ioF32, visionIo } from '../../fixtures/visionTiny';

describe("Interrogate CLIP's term lists and ranking (A1111 InterrogateModels.categories / rank)", () => {
  it('rank(): softmax of 100 · similarity, as the clip-vit fixture computed it', async () => {
    const io = await visionIo('clip-vit');
    const items = ['p0', 'p1', 'p2', 'p3', 'p4'];
    const ranked = rankTexts(ioF32(io, 'image_embeds_normed'), ioF32(io, 'rank_text_features'), items, 5);
    const ref = ioF32(io, 'rank_probs');
    for (const m of ranked) assert.ok(Math.abs(m.score - ref[items.indexOf(m.text)]!) < 1e-6, `${m.text}: ${m.score} vs ${ref[items.indexOf(m.text)]}`);
    for (let i = 1; i < ranked.length; i++) assert.ok(ranked[i - 1]!.score >= ranked[i]!.score);
    assert.deepEqual(rankTexts(ioF32(io, 'image_embeds_normed'), ioF32(io, 'rank_text_features'), items, 2), ranked.slice(0, 2));
  });

  it("a folder's *.txt: stem .topN, skip by stem, lines stripped (blank ones kept), dict limit", () => {
    const dir = mkdtempSync(join(tmpdir(), 'terms-'));
    try {
      writeFileSync(join(dir, 'artists.txt'), ' Claude Monet \r\nVermeer\n\nHokusai\n');
      writeFileSync(join(dir, 'flavors.top3.txt'), 'a\nb\n');
      writeFileSync(join(dir, 'empty.txt'), '');
      writeFileSync(join(dir, 'notes.md'), 'not a list');
      const cats = loadCategories(dir, ['empty']);
      assert.deepEqual(cats.map((c) => c.name).sort(), ['artists', 'flavors.top3']);
      const artists = cats.find((c) => c.name === 'artists')!;
      assert.deepEqual(artists, { name: 'artists', topn: 1, items: ['Claude Monet', 'Vermeer', '', 'Hokusai'] });
      assert.equal(cats.find((c) => c.name === 'flavors.top3')!.topn, 3);
      assert.deepEqual(limitItems(artists.items, 2), ['Claude Monet', 'Vermeer']);
      assert.deepEqual(limitItems(artists.items, 0), artists.items);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("without a folder: SD Studio's own lists, skip categories honoured", () => {
    assert.deepEqual(loadCategories(undefined, []).map((c) => c.name), BUILTIN_TERM_LISTS.map((l) => l.name));
    assert.deepEqual(loadCategories(undefined, ['artists', 'flavors']).map((c) => c.name), ['mediums', 'movements']);
    for (const l of BUILTIN_TERM_LISTS) assert.ok(l.items.length >= 40 && new Set(l.items).size === l.items.length, l.name);
  });

  it('the result text: caption, then each match (", (term:0.123)" with ranks)', () => {
    const ranked = [{ name: 'mediums', matches: [{ text: 'an oil painting', score: 0.61234 }] }, { name: 'flavors.top2', matches: [{ text: 'dark', score: 0.5 }, { text: 'sunset', score: 0.25 }] }];
    assert.equal(interrogateText('a cat on a sofa', ranked, false), 'a cat on a sofa, an oil painting, dark, sunset');
    assert.equal(interrogateText('a cat', ranked, true), 'a cat, (an oil painting:0.612), (dark:0.500), (sunset:0.250)');
  });
});
